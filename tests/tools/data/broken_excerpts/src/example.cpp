// A source file for the broken_excerpts fixture: README.md quotes it, once right and twice wrong.
int twice(int x) {
  int y = x + x;  // (B, T)
  return y;
}
