// SequenceLengths from a 1-D Index.
#include <attograd/nn/sequence_lengths.hpp>

namespace attograd::nn {

SequenceLengths::SequenceLengths(const Index& lengths)
    : values_(lengths.begin(), lengths.end()), shape_(lengths.shape()), given_(true) {}

}  // namespace attograd::nn
