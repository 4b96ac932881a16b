#pragma once
/// \file types.hpp
/// The Eigen types of the deep BSDE module (nn's, dense_net.hpp).  Float64 throughout.
///
/// Layout conventions (all column-major):
/// - a batch of B points in R^d is a d x B matrix (points are columns, as in nn::DenseNet);
/// - a path quantity over N+1 time points is stored step-major: the block of step n
///   is the B contiguous columns [n*B, (n+1)*B), so one step is a cheap block and all
///   steps together form one large batch for a shared network;
/// - per-sample scalars of one step (Y_n, f_n) are contiguous column vectors of length B.
#include "udeflow/nn/dense_net.hpp"

namespace udeflow::bsde {

// nn's Eigen types (dense_net.hpp).
using nn::ConstMatrixRef;
using nn::ConstVectorRef;
using nn::Matrix;
using nn::MatrixRef;
using nn::Vector;
using nn::VectorRef;

}  // namespace udeflow::bsde
