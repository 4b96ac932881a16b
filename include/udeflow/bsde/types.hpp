#pragma once
/// \file types.hpp
/// Eigen types of the deep BSDE module.  Float64 throughout.
///
/// Layout conventions (all column-major):
/// - a batch of B points in R^d is a d x B matrix (points are columns, as in nn::Mlp);
/// - a path quantity over N+1 time points is stored step-major: the block of step n
///   is the B contiguous columns [n*B, (n+1)*B), so one step is a cheap block and all
///   steps together form one large batch for a shared network;
/// - per-sample scalars of one step (Y_n, f_n) are contiguous column vectors of length B.
#include <Eigen/Dense>

namespace udeflow::bsde {

using Matrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;
using MatrixRef = Eigen::Ref<Matrix>;
using ConstMatrixRef = Eigen::Ref<const Matrix>;
using VectorRef = Eigen::Ref<Vector>;
using ConstVectorRef = Eigen::Ref<const Vector>;

}  // namespace udeflow::bsde
