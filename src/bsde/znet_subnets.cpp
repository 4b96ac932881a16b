// Per-time-step subnets (Han, Jentzen & E 2018): Z_0 is a trainable vector, and
// Z_n = zscale * NN_n(xhat_n [, |xhat_n|^2 / d]), xhat_n = (X_n - m_n) / s_n, for n = 1..N-1, each
// NN_n a DenseNet d -> width x depth -> d.  Parameters grow linearly with N. Layout: [Z_0 (d),
// NN_1, ..., NN_{N-1}].
#include <sstream>

#include "udeflow/core/error.hpp"
#include "znet_private.hpp"

namespace udeflow::bsde {
namespace {

class Subnets final : public ZNetwork {
 public:
  Subnets(const ZNetConfig& config, int d, int num_steps, double horizon)
      : ZNetwork(d, num_steps, horizon, config),
        net_(HiddenWidths(config_, d + (config_.norm_feature ? 1 : 0), d), config_.activation,
             nn::Activation::kIdentity, config_.skip, 0) {}

  std::string Describe() const override {
    std::ostringstream s;
    s << "per-step subnets: Z_0 trainable + " << N_ - 1 << " x MLP " << net_.Describe()
      << ", zscale " << config_.zscale;
    return s.str();
  }

  int NumParams() const override { return d_ + (N_ - 1) * net_.NumParams(); }

  void Initialize(uint64_t seed, double* params) const override {
    Eigen::Map<Vector>(params, d_).setZero();
    for (int n = 1; n < N_; ++n)
      net_.Initialize(seed * 1000003ULL + n, config_.init_scale, config_.output_scale,
                      Sub(params, n));
  }

  void WarmStartSkip(const PathStatistics& stats, double* params) const override {
    const int degree = net_.SkipDegree();
    if (degree == 0) return;
    for (int n = 1; n < N_; ++n) {
      std::vector<Eigen::Matrix3d> ata;
      std::vector<Eigen::Vector3d> atb;
      AddSkipNormalEquations(stats, n, degree, &ata, &atb);
      SolveSkipFit(net_, degree, ata, atb, Sub(params, n));
    }
  }

  void Forward(const double* params, const ConstMatrixRef& x, Eigen::Index B, ZTape& tape,
               MatrixRef z) const override {
    Require(x.rows() == d_ && x.cols() == (N_ + 1) * B && z.cols() >= N_ * B,
            "subnets: wrong batch shape");
    tape.nets.resize(N_ - 1);
    z.leftCols(B).colwise() = Eigen::Map<const Vector>(params, d_);
    for (int n = 1; n < N_; ++n) {
      const int extra = config_.norm_feature ? 1 : 0;
      tape.input.resize(d_ + extra, B);
      FillInput(n, x.middleCols(n * B, B), tape.input);
      nn::DenseNet::Tape& t = tape.nets[n - 1];
      net_.Forward(Sub(params, n), tape.input, t);
      z.middleCols(n * B, B) = config_.zscale * t.Output();
    }
  }

  void ForwardStep(const double* params, int n, const ConstMatrixRef& xn, ZTape& tape,
                   MatrixRef zn) const override {
    Require(xn.rows() == d_ && zn.rows() == d_ && zn.cols() == xn.cols() && n >= 0 && n < N_,
            "subnets: wrong step shape");
    if (n == 0) {
      zn.colwise() = Eigen::Map<const Vector>(params, d_);
      return;
    }
    const int extra = config_.norm_feature ? 1 : 0;
    tape.step_input.resize(d_ + extra, xn.cols());
    FillInput(n, xn, tape.step_input);
    net_.Forward(Sub(params, n), tape.step_input, tape.step_net);
    zn = config_.zscale * tape.step_net.Output();
  }

  /// Input of subnet n (n >= 1): the standardized states xn and, with the norm feature,
  /// their standardized |x|^2 / d (in: (d + extra) x B).
  void FillInput(int n, const ConstMatrixRef& xn, MatrixRef in) const {
    in.topRows(d_).array() =
        (xn.colwise() - mean_.col(n)).array().colwise() * inv_std_.col(n).array();
    if (config_.norm_feature) FillNormFeature(n, in.topRows(d_), in.row(d_));
  }

  void Vjp(const double* params, ZTape& tape, const ConstMatrixRef& zbar, Eigen::Index B,
           double* grad) const override {
    Eigen::Map<Vector>(grad, d_) += zbar.leftCols(B).rowwise().sum();
    for (int n = 1; n < N_; ++n) {
      tape.ybar = config_.zscale * zbar.middleCols(n * B, B);
      net_.Vjp(Sub(params, n), tape.nets[n - 1], tape.ybar, Sub(grad, n));
    }
  }

  void ParamJvp(const double* params, ZTape& tape, const double* thetadot, Eigen::Index B,
                MatrixRef zdot) const override {
    zdot.leftCols(B).colwise() = Eigen::Map<const Vector>(thetadot, d_);
    for (int n = 1; n < N_; ++n) {
      net_.ParamJvp(Sub(params, n), tape.nets[n - 1], Sub(thetadot, n), &tape.ybar);
      zdot.middleCols(n * B, B) = config_.zscale * tape.ybar;
    }
  }

  double FlopsPerSample() const override { return (N_ - 1) * net_.FlopsPerPoint(); }

 private:
  // Parameters of the subnet of step n >= 1.
  template <class T>
  T* Sub(T* p, int n) const {
    return p + d_ + static_cast<size_t>(n - 1) * net_.NumParams();
  }

  nn::DenseNet net_;  // the architecture shared by all subnets (parameters differ)
};

}  // namespace

std::unique_ptr<ZNetwork> CreateSubnets(const ZNetConfig& config, int d, int num_steps,
                                        double horizon) {
  return std::make_unique<Subnets>(config, d, num_steps, horizon);
}

}  // namespace udeflow::bsde
