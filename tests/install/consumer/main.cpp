// Builds against an installed attograd: includes the umbrella header, trains one step.
#include <attograd/attograd.hpp>
#include <attograd/core/tensor.hpp>

#include <iostream>

int main() {
  using namespace attograd;
  Tensor w = ones({2, 2}, true);
  Tensor loss = sum(matmul(w, from_vector({1, 2}, {2, 1})));
  loss.backward();
  std::cout << "consumer: loss " << loss.item() << ", grad sum " << sum(Tensor(w.grad())).item() << "\n";
  return loss.item() == 6.0f ? 0 : 1;
}
