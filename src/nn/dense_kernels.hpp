#pragma once
/// \file dense_kernels.hpp
/// The fast path of DenseNet (private to src/nn): fused, allocation-free layer kernels for
/// the common case (dense layers, identity/tanh/relu activations, no skip, every hidden
/// width a multiple of the SIMD width).  Points are processed in cache-resident blocks of
/// kBlock columns; each layer of a block is one register-blocked pass that forms the
/// matrix product, adds the bias and applies relu before storing; tanh follows as a second
/// pass over the block while it is in L1 (groups of 8 packets in lockstep).  The VJP of a
/// block walks the layers back once: parameter-gradient accumulation, input cotangent and
/// activation derivative, all on data still in L1.
///
/// Bit reproducibility: every output element is one fixed chain of fused multiply-adds
/// over the reduction index, started from the same value, computed lane-wise in full SIMD
/// packets (no scalar tails, no horizontal order that depends on the position of a point
/// in a block), so a point's result does not depend on the batch size, on how points are
/// blocked or on where buffers sit in memory.  Parameter gradients are sums over points in
/// point order.
#include "udeflow/nn/dense_net.hpp"

namespace udeflow::nn::detail {

/// Doubles per SIMD packet of this build (4 with AVX2, 8 with AVX-512, 2 with SSE2).
int PacketLanes();

/// What the fast path needs to know of a DenseNet.
struct FastNet {
  const std::vector<int>* widths;
  const std::vector<int>* w_offset;
  const std::vector<int>* b_offset;
  Activation hidden, output;
};

/// True if the fast path handles this architecture.
bool FastPathSupports(const std::vector<int>& widths, Activation hidden, Activation output);

/// Forward pass: tape.act[0] holds the input (n columns); fills act[1..L].
void FastForward(const FastNet& net, const double* params, DenseNet::Tape& tape);

/// VJP at the point recorded in the tape: staged += (dy/dtheta)^T ybar (if staged; a
/// buffer of NumParams() entries) and *xbar = (dy/dx)^T ybar (if xbar).
void FastVjp(const FastNet& net, const double* params, DenseNet::Tape& tape,
             const ConstMatrixRef& ybar, double* staged, Matrix* xbar);

}  // namespace udeflow::nn::detail
