// ZNetwork: common parts and the factory.  Architectures: znet_subnets.cpp, znet_shared.cpp.
#include "udeflow/bsde/znet.hpp"

#include <algorithm>

#include "udeflow/core/error.hpp"
#include "znet_private.hpp"

namespace udeflow::bsde {

ZNetConfig::Kind ParseZNetKind(const std::string& name) {
  if (name == "subnets") return ZNetConfig::Kind::kSubnets;
  if (name == "shared") return ZNetConfig::Kind::kShared;
  throw Error("unknown network '" + name + "' (choices: subnets, shared)");
}

const char* ZNetKindName(ZNetConfig::Kind k) { return k == ZNetConfig::Kind::kSubnets ? "subnets" : "shared"; }

ZNetwork::ZNetwork(int d, int num_steps, double horizon, const ZNetConfig& config)
    : d_(d), N_(num_steps), T_(horizon), config_(config) {
  Require(d >= 1 && num_steps >= 1 && horizon > 0, "Z network: bad dimension, step count or horizon");
  Require(config_.depth >= 1, "Z network: needs at least one hidden layer");
  if (config_.width <= 0) config_.width = d + 10;
  if (config_.zscale <= 0) config_.zscale = 1.0 / d;
  mean_ = Matrix::Zero(d, num_steps + 1);
  inv_std_ = Matrix::Ones(d, num_steps + 1);
  q_mean_ = Vector::Zero(num_steps + 1);
  q_inv_std_ = Vector::Ones(num_steps + 1);
}

void ZNetwork::SetNormalization(const Matrix& mean, const Matrix& inv_std) {
  Require(mean.rows() == d_ && mean.cols() == N_ + 1 && inv_std.rows() == d_ && inv_std.cols() == N_ + 1,
          "Z network: normalization has the wrong shape");
  mean_ = mean;
  inv_std_ = inv_std;
}

void ZNetwork::NormFeature(const ConstMatrixRef& x, Eigen::Index B, Matrix* q) const {
  Require(x.rows() == d_ && x.cols() == (N_ + 1) * B, "Z network: wrong path batch shape");
  q->resize(N_ + 1, B);
  for (int n = 0; n <= N_; ++n)
    q->row(n) = ((x.middleCols(n * B, B).colwise() - mean_.col(n)).array().colwise() * inv_std_.col(n).array())
                    .matrix()
                    .colwise()
                    .squaredNorm() /
                d_;
}

void ZNetwork::SetFeatureNormalization(const Vector& mean, const Vector& inv_std) {
  Require(mean.size() == N_ + 1 && inv_std.size() == N_ + 1, "Z network: feature normalization has the wrong length");
  q_mean_ = mean;
  q_inv_std_ = inv_std;
}

void ZNetwork::SkipMoments(const PathStatistics& s, int n, Vector* zx, Vector* xx) const {
  Require(s.zx.rows() == d_ && s.zx.cols() == N_ + 1, "Z network: path statistics have the wrong shape");
  const auto m = mean_.col(n).array(), r = inv_std_.col(n).array();
  // xhat = (x - m) r:  E[Z xhat] = r (E[Z x] - m E[Z]),  E[xhat^2] = r^2 (E[x^2] - 2 m E[x] + m^2).
  *zx = (r * (s.zx.col(n).array() - m * s.z_mean.array())).matrix();
  *xx = (r.square() * (s.x_sq.col(n).array() - 2 * m * s.x_mean.col(n).array() + m.square())).matrix();
}

std::vector<int> HiddenWidths(const ZNetConfig& c, int n_in, int n_out) {
  std::vector<int> w{n_in};
  for (int l = 0; l < c.depth; ++l) w.push_back(c.width);
  w.push_back(n_out);
  return w;
}

std::unique_ptr<ZNetwork> CreateZNetwork(const ZNetConfig& config, int d, int num_steps, double horizon) {
  if (config.kind == ZNetConfig::Kind::kSubnets) return CreateSubnets(config, d, num_steps, horizon);
  return CreateSharedNet(config, d, num_steps, horizon);
}

}  // namespace udeflow::bsde
