// ZNetwork: common parts and the factory.  Architectures: znet_subnets.cpp, znet_shared.cpp.
#include "udeflow/bsde/znet.hpp"

#include <algorithm>
#include <cmath>

#include "udeflow/core/error.hpp"
#include "znet_private.hpp"

namespace udeflow::bsde {

ZNetConfig::Kind ParseZNetKind(const std::string& name) {
  if (name == "subnets") return ZNetConfig::Kind::kSubnets;
  if (name == "shared") return ZNetConfig::Kind::kShared;
  throw Error("unknown network '" + name + "' (choices: subnets, shared)");
}

const char* ZNetKindName(ZNetConfig::Kind k) {
  return k == ZNetConfig::Kind::kSubnets ? "subnets" : "shared";
}

ZNetwork::ZNetwork(int d, int num_steps, double horizon, const ZNetConfig& config)
    : d_(d), N_(num_steps), T_(horizon), config_(config) {
  Require(d >= 1 && num_steps >= 1 && horizon > 0,
          "Z network: bad dimension, step count or horizon");
  Require(config_.depth >= 1, "Z network: needs at least one hidden layer");
  if (config_.width <= 0) config_.width = d + 10;
  if (config_.zscale <= 0) config_.zscale = 1.0 / d;
  mean_ = Matrix::Zero(d, num_steps + 1);
  inv_std_ = Matrix::Ones(d, num_steps + 1);
  q_mean_ = Vector::Zero(num_steps + 1);
  q_inv_std_ = Vector::Ones(num_steps + 1);
}

void ZNetwork::SetNormalization(const Matrix& mean, const Matrix& inv_std) {
  Require(mean.rows() == d_ && mean.cols() == N_ + 1 && inv_std.rows() == d_ &&
              inv_std.cols() == N_ + 1,
          "Z network: normalization has the wrong shape");
  mean_ = mean;
  inv_std_ = inv_std;
}

void ZNetwork::NormFeature(const ConstMatrixRef& x, Eigen::Index B, Matrix* q) const {
  Require(x.rows() == d_ && x.cols() == (N_ + 1) * B, "Z network: wrong path batch shape");
  q->resize(N_ + 1, B);
  for (int n = 0; n <= N_; ++n)
    q->row(n) = ((x.middleCols(n * B, B).colwise() - mean_.col(n)).array().colwise() *
                 inv_std_.col(n).array())
                    .matrix()
                    .colwise()
                    .squaredNorm() /
                d_;
}

void ZNetwork::SetFeatureNormalization(const Vector& mean, const Vector& inv_std) {
  Require(mean.size() == N_ + 1 && inv_std.size() == N_ + 1,
          "Z network: feature normalization has the wrong length");
  q_mean_ = mean;
  q_inv_std_ = inv_std;
}

void ZNetwork::AddSkipNormalEquations(const PathStatistics& s, int n, int degree,
                                      std::vector<Eigen::Matrix3d>* ata,
                                      std::vector<Eigen::Vector3d>* atb) const {
  Require(s.zxk[0].rows() == d_ && s.zxk[0].cols() == N_ + 1,
          "Z network: path statistics have the wrong shape");
  ata->resize(d_, Eigen::Matrix3d::Zero());
  atb->resize(d_, Eigen::Vector3d::Zero());
  for (int i = 0; i < d_; ++i) {
    // Raw moments -> moments of xhat = (x - m) r by the binomial formula.
    const double m = mean_(i, n), r = inv_std_(i, n);
    double ex[5], ezx[3];
    for (int k = 0; k <= 4; ++k) {
      double c = 0, binom = 1;
      for (int j = 0; j <= k; ++j) {
        c += binom * s.xk[j](i, n) * std::pow(-m, k - j);
        binom = binom * (k - j) / (j + 1);
      }
      ex[k] = c * std::pow(r, k);
    }
    for (int k = 0; k <= 2; ++k) {
      double c = 0, binom = 1;
      for (int j = 0; j <= k; ++j) {
        c += binom * s.zxk[j](i, n) * std::pow(-m, k - j);
        binom = binom * (k - j) / (j + 1);
      }
      ezx[k] = c * std::pow(r, k);
    }
    for (int a = 0; a <= degree; ++a) {
      (*atb)[i](a) += ezx[a];
      for (int b = 0; b <= degree; ++b) (*ata)[i](a, b) += ex[a + b];
    }
  }
}

void ZNetwork::SolveSkipFit(const nn::DenseNet& net, int degree,
                            const std::vector<Eigen::Matrix3d>& ata,
                            const std::vector<Eigen::Vector3d>& atb, double* params) const {
  double* skip = net.SkipParams(params);
  double* bias = net.OutputBias(params);
  const int k = degree + 1;
  for (int i = 0; i < d_; ++i) {
    // Tiny ridge: a coordinate that does not move (or a degenerate basis) gets a zero fit.
    const Eigen::MatrixXd A = ata[i].topLeftCorner(k, k) +
                              1e-10 * (1.0 + ata[i].trace()) * Eigen::MatrixXd::Identity(k, k);
    const Eigen::VectorXd c = A.ldlt().solve(atb[i].head(k)) / config_.zscale;
    if (!c.allFinite()) continue;
    bias[i] = c[0];
    skip[i] = c[1];
    if (degree == 2) net.SecondSkipCoefficients(params)[i] = c[2];
  }
}

void StandardizeNormFeature(const Equation& eq, SdeScheme scheme, uint64_t seed, int num_samples,
                            ZNetwork* net) {
  Require(num_samples >= 2, "norm feature: needs at least two statistics paths");
  const int N = static_cast<int>(net->NumSteps());
  Vector sum = Vector::Zero(N + 1), sumsq = Vector::Zero(N + 1), inv(N + 1);
  Matrix q;
  ForEachStatisticsChunk(eq, scheme, seed, N, num_samples, [&](const Matrix& x, Eigen::Index B) {
    net->NormFeature(x, B, &q);
    sum += q.rowwise().sum();
    sumsq += q.rowwise().squaredNorm();
  });
  const double M = num_samples;
  for (int n = 0; n <= N; ++n) {
    const double m = sum[n] / M, var = std::max(0.0, (sumsq[n] - M * m * m) / (M - 1));
    sum[n] = m;
    inv[n] = var > 1e-24 ? 1.0 / std::sqrt(var) : 1.0;  // x0 at n = 0 does not move
  }
  net->SetFeatureNormalization(sum, inv);
}

std::vector<int> HiddenWidths(const ZNetConfig& c, int n_in, int n_out) {
  std::vector<int> w{n_in};
  for (int l = 0; l < c.depth; ++l) w.push_back(c.width);
  w.push_back(n_out);
  return w;
}

std::unique_ptr<ZNetwork> CreateZNetwork(const ZNetConfig& config, int d, int num_steps,
                                         double horizon) {
  if (config.kind == ZNetConfig::Kind::kSubnets)
    return CreateSubnets(config, d, num_steps, horizon);
  return CreateSharedNet(config, d, num_steps, horizon);
}

}  // namespace udeflow::bsde
