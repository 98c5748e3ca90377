// A first tour of attograd's autograd: build a tiny graph, look at values and gradients,
// check one gradient by hand, and write the graph for Graphviz.
//
//   autograd_tour [--dot FILE]
#include <cstring>
#include <fstream>
#include <iostream>

#include <attograd/core/core.hpp>

using namespace attograd;

int main(int argc, char** argv) {
  const char* dot_path = "autograd_tour.dot";
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::cout << "usage: autograd_tour [--dot FILE]\n"
                   "  Builds a tiny attention graph, prints its values and gradients, and writes the graph\n"
                   "  in Graphviz DOT to FILE (default autograd_tour.dot; render with dot -Tpng FILE).\n";
      return 0;
    }
    if (std::strcmp(argv[i], "--dot") == 0 && i + 1 < argc) {
      dot_path = argv[++i];
    } else {
      std::cerr << "usage: autograd_tour [--dot FILE]\n  unknown argument: " << argv[i] << " (try --help)\n";
      return 2;
    }
  }

  // 1. Scalars, as in micrograd: y = tanh(w·x + b)
  Tensor x = scalar_tensor(2.0f);
  Tensor w = scalar_tensor(-0.5f, /*requires_grad=*/true);
  Tensor b = scalar_tensor(0.25f, true);
  Tensor y = tanh(w * x + b);
  y.backward();
  std::cout << "y = tanh(w*x + b) = " << y.item() << "\n";
  std::cout << "dy/dw = " << w.grad()() << "  (by hand: x * (1 - y^2) = " << 2.0f * (1.0f - y.item() * y.item())
            << ")\n";
  std::cout << "dy/db = " << b.grad()() << "\n\n";

  // 2. A tiny attention step: weights = softmax(q Kᵀ / √d), out = weights V
  manual_seed(0);
  Tensor q = randn({1, 4}, true);                                      // (T=1, D=4)
  Tensor k = randn({3, 4}, true);                                      // (S=3, D=4)
  Tensor v = randn({3, 4}, true);                                      // (S=3, D=4)
  Tensor weights = softmax(matmul(q, transpose(k, 0, 1)) / 2.0f, -1);  // (1, 3)
  Tensor out = matmul(weights, v);                                     // (1, 4)
  Tensor loss = sum(out * out);
  std::cout << "attention weights " << weights << "\n";
  std::cout << "out " << out << "\n";
  std::cout << "loss " << loss << "\n";

  const std::string graph = to_dot(loss);  // before backward frees the graph
  loss.backward();
  std::cout << "dloss/dq " << Tensor(q.grad()) << "\n";
  std::cout << "dloss/dv " << Tensor(v.grad()) << "\n";

  std::ofstream(dot_path) << graph;
  std::cout << "\nThe graph of the loss was written to " << dot_path << " (render: dot -Tpng " << dot_path
            << " -o graph.png)\n";
  return 0;
}
