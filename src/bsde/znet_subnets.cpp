// Per-time-step subnets (Han, Jentzen & E 2018): Z_0 is a trainable vector, and
// Z_n = zscale * NN_n((X_n - m_n) / s_n) for n = 1..N-1, each NN_n an MLP
// d -> width x depth -> d.  Parameters grow linearly with N.
#include <sstream>

#include "udeflow/core/error.hpp"
#include "znet_private.hpp"

namespace udeflow::bsde {
namespace {

class Subnets final : public ZNetwork {
 public:
  Subnets(const ZNetConfig& config, int d, int num_steps, double horizon)
      : ZNetwork(d, num_steps, horizon, config), z0_(Vector::Zero(d)) {
    for (int n = 1; n < N_; ++n) nets_.emplace_back(HiddenWidths(config_, d, d), config_.activation);
  }

  std::string Describe() const override {
    std::ostringstream s;
    s << "per-step subnets: Z_0 trainable + " << nets_.size() << " x MLP "
      << (nets_.empty() ? std::string("-") : nets_[0].Describe()) << ", zscale " << config_.zscale;
    return s.str();
  }

  std::vector<ParamBlock> Blocks() override {
    std::vector<ParamBlock> b{{z0_.data(), static_cast<int>(z0_.size())}};
    for (nn::Mlp& net : nets_) b.push_back({net.Params().data(), net.NumParams()});
    return b;
  }

  void Initialize(uint64_t seed) override {
    z0_.setZero();
    for (size_t k = 0; k < nets_.size(); ++k) nets_[k].Initialize(seed * 1000003ULL + k + 1, config_.init_scale);
  }

  void Forward(const ConstMatrixRef& x, Eigen::Index B, ZTape& tape, MatrixRef z) const override {
    Require(x.rows() == d_ && x.cols() == (N_ + 1) * B && z.cols() >= N_ * B, "subnets: wrong batch shape");
    tape.mlp.resize(nets_.size());
    z.leftCols(B).colwise() = z0_;
    for (int n = 1; n < N_; ++n) {
      Standardize(x, n, B, tape.input);
      nn::Mlp::Tape& t = tape.mlp[n - 1];
      nets_[n - 1].Forward(tape.input, t);
      z.middleCols(n * B, B) = config_.zscale * t.Output();
    }
  }

  void Vjp(ZTape& tape, const ConstMatrixRef& zbar, Eigen::Index B, double* grad) const override {
    Eigen::Map<Vector>(grad, d_) += zbar.leftCols(B).rowwise().sum();
    double* g = grad + d_;
    for (int n = 1; n < N_; ++n) {
      tape.ybar = config_.zscale * zbar.middleCols(n * B, B);
      nets_[n - 1].Vjp(tape.mlp[n - 1], tape.ybar, nullptr, g);
      g += nets_[n - 1].NumParams();
    }
  }

  void ParamJvp(ZTape& tape, const double* thetadot, Eigen::Index B, MatrixRef zdot) const override {
    zdot.leftCols(B).colwise() = Eigen::Map<const Vector>(thetadot, d_);
    const double* td = thetadot + d_;
    for (int n = 1; n < N_; ++n) {
      const nn::Mlp& net = nets_[n - 1];
      net.ParamJvp(tape.mlp[n - 1], Eigen::Map<const Vector>(td, net.NumParams()), &tape.ybar);
      zdot.middleCols(n * B, B) = config_.zscale * tape.ybar;
      td += net.NumParams();
    }
  }

  double FlopsPerSample() const override { return nets_.empty() ? 0.0 : nets_.size() * nets_[0].FlopsPerPoint(); }

 private:
  void Standardize(const ConstMatrixRef& x, int n, Eigen::Index B, Matrix& out) const {
    out.resize(d_, B);
    out.array() = (x.middleCols(n * B, B).colwise() - mean_.col(n)).array().colwise() * inv_std_.col(n).array();
  }

  Vector z0_;
  std::vector<nn::Mlp> nets_;
};

}  // namespace

std::unique_ptr<ZNetwork> CreateSubnets(const ZNetConfig& config, int d, int num_steps, double horizon) {
  return std::make_unique<Subnets>(config, d, num_steps, horizon);
}

}  // namespace udeflow::bsde
