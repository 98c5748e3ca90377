// Bad input to core ops: each error is std::invalid_argument naming the op and the values.
#include <catch2/catch.hpp>

#include <attograd/core/core.hpp>

using namespace attograd;
using Catch::Contains;

TEST_CASE("errors: shapes that do not broadcast") {
  REQUIRE_THROWS_AS(ones({2, 3}) + ones({4}), std::invalid_argument);
  REQUIRE_THROWS_WITH(ones({2, 3}) + ones({4}),
                      Contains("add: shapes (2, 3) and (4,) cannot be broadcast: size 3 and size 4"));
  REQUIRE_THROWS_WITH(ones({2, 3}) * ones({3, 3}), Contains("mul: shapes (2, 3) and (3, 3)"));
  REQUIRE_THROWS_WITH(where(Mask::from_shape({5}), ones({2}), ones({2})), Contains("where: shapes (5,) and (2,)"));
  REQUIRE_THROWS_WITH(expand(ones({2, 3}), {3, 3}), Contains("expand"));
  REQUIRE_THROWS_WITH(expand(ones({2, 1}), {4}), Contains("expand: cannot expand (2, 1) to (4,)"));
}

TEST_CASE("errors: matmul inner dimensions") {
  REQUIRE_THROWS_WITH(matmul(ones({3, 2}), ones({3, 2})),
                      Contains("matmul: cannot multiply (3, 2) by (3, 2): inner dimensions 2 and 3 differ"));
  REQUIRE_THROWS_WITH(matmul(ones({4}), ones({5})), Contains("matmul: cannot multiply (4,) by (5,)"));
  REQUIRE_THROWS_WITH(matmul(ones({2, 3, 4}), ones({2, 5, 6})), Contains("inner dimensions 4 and 5 differ"));
  REQUIRE_THROWS_WITH(
      matmul(ones({2, 3, 4}), ones({3, 4, 6})),
      Contains("matmul: cannot multiply (2, 3, 4) by (3, 4, 6): the batch dims (2,) and (3,) do not broadcast"));
  REQUIRE_THROWS_WITH(matmul(scalar_tensor(1.0f), ones({2})), Contains("at least 1 dim"));
}

TEST_CASE("errors: bad dims") {
  REQUIRE_THROWS_WITH(sum(ones({2, 3}), {2}),
                      Contains("sum: dim 2 is out of range for a tensor with 2 dims (expected -2 to 1)"));
  REQUIRE_THROWS_WITH(softmax(ones({2, 3}), -3), Contains("dim -3 is out of range"));
  REQUIRE_THROWS_WITH(transpose(ones({2, 3}), 0, 5), Contains("transpose: dim 5 is out of range"));
  REQUIRE_THROWS_WITH(sum(ones({2, 3}), {1, -1}), Contains("sum: dim 1 appears more than once"));
  REQUIRE_THROWS_WITH(permute(ones({2, 3}), {0}),
                      Contains("permute: order (0) has 1 dims but the tensor has shape (2, 3)"));
  REQUIRE_THROWS_WITH(squeeze(ones({2, 3}), 0), Contains("squeeze: dim 0 of shape (2, 3) has size 2, not 1"));
  REQUIRE_THROWS_WITH(argmax(ones({2}), 1), Contains("argmax: dim 1 is out of range"));
  REQUIRE_THROWS_WITH(ones({2}).size(3), Contains("size: dim 3 is out of range for a tensor of shape (2,)"));
}

TEST_CASE("errors: reshape sizes") {
  REQUIRE_THROWS_WITH(reshape(ones({2, 3}), {4, 2}),
                      Contains("reshape: cannot reshape (2, 3) (6 elements) into (4, 2) (8 elements)"));
  REQUIRE_THROWS_WITH(reshape(ones({2, 3}), {4, -1}),
                      Contains("reshape: cannot reshape (2, 3) (6 elements) into (4, -1)"));
  REQUIRE_THROWS_WITH(view(ones({2, 3}), {-1, -1}), Contains("view: only one size may be -1"));
  REQUIRE_THROWS_WITH(reshape(ones({2}), {-2, 1}), Contains("invalid size -2"));
}

TEST_CASE("errors: slicing, concatenation, splitting") {
  REQUIRE_THROWS_WITH(narrow(ones({4}), 0, 3, 2), Contains("narrow: start 3 + length 2 exceeds dim 0 of size 4"));
  REQUIRE_THROWS_WITH(slice(ones({4}), 0, 0, 4, 0), Contains("slice: step must be positive, got 0"));
  REQUIRE_THROWS_WITH(cat({ones({2, 3}), ones({2, 4})}, 0),
                      Contains("cat: tensor 1 has shape (2, 4) but tensor 0 has shape (2, 3)"));
  REQUIRE_THROWS_WITH(cat({}, 0), Contains("cat: needs at least one tensor"));
  REQUIRE_THROWS_WITH(stack({ones({2}), ones({3})}),
                      Contains("stack: tensor 1 has shape (3,) but tensor 0 has shape (2,)"));
  REQUIRE_THROWS_WITH(split(ones({5}), SizeList{2, 2}),
                      Contains("split: sizes (2, 2) must be non-negative and add up to 5"));
  REQUIRE_THROWS_WITH(chunk(ones({5}), 0), Contains("chunk: chunks must be positive, got 0"));
}

TEST_CASE("errors: indices out of range") {
  Tensor w = ones({10, 4});
  REQUIRE_THROWS_WITH(
      embedding(w, index_from_vector({1, 2, 3, 12}, {4})),
      Contains("embedding: token id 12 at position (3,) is out of range for a vocabulary of 10 (valid: 0 to 9)"));
  REQUIRE_THROWS_WITH(embedding(w, index_from_vector({1, -1}, {1, 2})), Contains("token id -1 at position (0, 1)"));
  REQUIRE_THROWS_WITH(embedding(w, index_from_vector({1}, {1}), 10),
                      Contains("embedding: padding_idx 10 is out of range for a vocabulary of 10"));
  REQUIRE_THROWS_WITH(embedding(ones({4}), index_from_vector({1}, {1})),
                      Contains("embedding: weight must be (V, E), got shape (4,)"));
  REQUIRE_THROWS_WITH(index_select(w, 0, index_from_vector({10}, {1})),
                      Contains("index_select: index 10 at position (0,) is out of range for dim 0 of size 10"));
  REQUIRE_THROWS_WITH(index_select(w, 0, index_from_vector({1}, {1, 1})),
                      Contains("index_select: ids must be 1-D, got shape (1, 1)"));
  REQUIRE_THROWS_WITH(gather(w, 1, index_from_vector({4}, {1, 1})),
                      Contains("gather: index 4 at position (0, 0) is out of range for dim 1 of size 4"));
  REQUIRE_THROWS_WITH(gather(w, 1, index_from_vector({0}, {1})),
                      Contains("gather: index of shape (1,) must have as many dims as the input (10, 4)"));
  REQUIRE_THROWS_WITH(gather(w, 1, index_from_vector(std::vector<std::int64_t>(11, 0), {11, 1})),
                      Contains("gather: index of shape (11, 1) is larger than the input (10, 4) at dim 0"));
  REQUIRE_THROWS_WITH(one_hot(index_from_vector({3}, {1}), 3),
                      Contains("one_hot: class 3 at position (0,) is out of range for 3 classes"));
  REQUIRE_THROWS_WITH(topk(ones({3}), 4), Contains("topk: k = 4 is out of range for dim -1 of size 3"));
}

TEST_CASE("errors: masks of the wrong shape") {
  REQUIRE_THROWS_WITH(masked_fill(ones({2, 3}), Mask::from_shape({2, 2}), 0.0f), Contains("masked_fill"));
  REQUIRE_THROWS_WITH(masked_fill(ones({3}), Mask::from_shape({2, 3}), 0.0f),
                      Contains("masked_fill: mask of shape (2, 3) does not broadcast to the tensor's shape (3,)"));
}

TEST_CASE("errors: losses") {
  Tensor logits = ones({3, 4});
  REQUIRE_THROWS_WITH(
      cross_entropy(logits, index_from_vector({0, 4, 1}, {3})),
      Contains(
          "cross_entropy: target 4 at position 1 is out of range for 4 classes (valid: 0 to 3, or ignore_index -100)"));
  REQUIRE_THROWS_WITH(cross_entropy(logits, index_from_vector({0, 1}, {2})),
                      Contains("cross_entropy: input of shape (3, 4) needs targets of shape (3,), got (2,)"));
  REQUIRE_THROWS_WITH(cross_entropy(logits, index_from_vector({0, 1, 2}, {3}), {.label_smoothing = 1.5f}),
                      Contains("label_smoothing must be in [0, 1], got 1.5"));
  REQUIRE_THROWS_WITH(cross_entropy(ones({3, 0}), index_from_vector({0, 0, 0}, {3})), Contains("has no classes"));
  REQUIRE_THROWS_WITH(nll_loss(ones({3}), index_from_vector({0}, {})),
                      Contains("nll_loss: log_probs must be (N, C), got (3,)"));
  REQUIRE_THROWS_WITH(mse_loss(ones({3}), ones({3, 1})),
                      Contains("mse_loss: input (3,) and target (3, 1) must have the same shape"));
  REQUIRE_THROWS_WITH(binary_cross_entropy_with_logits(ones({2}), ones({3})), Contains("logits (2,) and targets (3,)"));
}

TEST_CASE("errors: empty tensors where a value is needed") {
  REQUIRE_THROWS_WITH(mean(zeros({0, 3}), {0}),
                      Contains("mean: cannot reduce over dim 0 of size 0 in a tensor of shape (0, 3)"));
  REQUIRE_THROWS_WITH(max(zeros({0})), Contains("max: cannot reduce over dim 0 of size 0"));
  REQUIRE_THROWS_WITH(argmax(zeros({0})), Contains("argmax: cannot take the argmax of an empty tensor"));
  CHECK(sum(zeros({0})).item() == 0.0f);  // an empty sum is 0, as in PyTorch
}

TEST_CASE("errors: bad scalar settings") {
  REQUIRE_THROWS_WITH(dropout(ones({2}), 1.5f, true), Contains("dropout: p must be in [0, 1], got 1.5"));
  REQUIRE_THROWS_WITH(clamp(ones({2}), 1.0f, 0.0f), Contains("clamp: min 1 is greater than max 0"));
  REQUIRE_THROWS_WITH(var(ones({2}), {}, -1), Contains("var: correction must be >= 0, got -1"));
  REQUIRE_THROWS_WITH(layer_norm(ones({2, 3}), {2}),
                      Contains("layer_norm: normalized_shape (2,) does not match the trailing dims of input (2, 3)"));
  REQUIRE_THROWS_WITH(layer_norm(ones({2, 3}), {3}, ones({2})),
                      Contains("layer_norm: weight has shape (2,) but normalized_shape is (3,)"));
  REQUIRE_THROWS_WITH(tril(ones({3})), Contains("tril: needs at least 2 dims, got shape (3,)"));
}
