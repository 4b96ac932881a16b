// One shared network of (t, x) for all time steps (the universal-SDE form NN(t, X_t)):
// Z_n = zscale * NN(t_n / T, xhat_n [, |xhat_n|^2 / d]), xhat_n = (X_n - m_n) / s_n.  Its size does
// not depend on N, and the N steps of a batch are evaluated as a single batch of N*B points (large
// GEMMs).
#include <sstream>

#include "udeflow/core/error.hpp"
#include "znet_private.hpp"

namespace udeflow::bsde {
namespace {

class SharedNet final : public ZNetwork {
 public:
  SharedNet(const ZNetConfig& config, int d, int num_steps, double horizon)
      : ZNetwork(d, num_steps, horizon, config),
        net_(HiddenWidths(config_, d + 1 + (config_.norm_feature ? 1 : 0), d), config_.activation,
             nn::Activation::kIdentity, config_.skip, 1) {}

  std::string Describe() const override {
    std::ostringstream s;
    s << "shared (t,x) network: MLP " << net_.Describe() << ", zscale " << config_.zscale;
    return s.str();
  }

  int NumParams() const override { return net_.NumParams(); }

  void Initialize(uint64_t seed, double* params) const override {
    net_.Initialize(seed * 1000003ULL, config_.init_scale, config_.output_scale, params);
  }

  void WarmStartSkip(const PathStatistics& stats, double* params) const override {
    const int degree = net_.SkipDegree();
    if (degree == 0) return;
    std::vector<Eigen::Matrix3d> ata;
    std::vector<Eigen::Vector3d> atb;
    for (int n = 0; n < N_; ++n) AddSkipNormalEquations(stats, n, degree, &ata, &atb);
    SolveSkipFit(net_, degree, ata, atb, params);
  }

  void Forward(const double* params, const ConstMatrixRef& x, Eigen::Index B, ZTape& tape,
               MatrixRef z) const override {
    Require(x.rows() == d_ && x.cols() == (N_ + 1) * B && z.cols() >= N_ * B,
            "shared net: wrong batch shape");
    tape.nets.resize(1);
    const int extra = config_.norm_feature ? 1 : 0;
    tape.input.resize(d_ + 1 + extra, N_ * B);
    for (int n = 0; n < N_; ++n)
      FillInput(n, x.middleCols(n * B, B), tape.input.middleCols(n * B, B));
    net_.Forward(params, tape.input, tape.nets[0]);
    z.leftCols(N_ * B) = config_.zscale * tape.nets[0].Output();
  }

  void ForwardStep(const double* params, int n, const ConstMatrixRef& xn, ZTape& tape,
                   MatrixRef zn) const override {
    Require(xn.rows() == d_ && zn.rows() == d_ && zn.cols() == xn.cols() && n >= 0 && n < N_,
            "shared net: wrong step shape");
    const Eigen::Index B = xn.cols();
    const int extra = config_.norm_feature ? 1 : 0;
    tape.step_input.resize(d_ + 1 + extra, B);
    FillInput(n, xn, tape.step_input);
    net_.Forward(params, tape.step_input, tape.step_net);
    zn = config_.zscale * tape.step_net.Output();
  }

  /// Network input of step n: t_n / T, the standardized states xn and, with the norm
  /// feature, their standardized |x|^2 / d (in: (d + 1 + extra) x B).
  void FillInput(int n, const ConstMatrixRef& xn, MatrixRef in) const {
    in.row(0).setConstant(n / static_cast<double>(N_));
    in.middleRows(1, d_).array() =
        (xn.colwise() - mean_.col(n)).array().colwise() * inv_std_.col(n).array();
    if (config_.norm_feature) FillNormFeature(n, in.middleRows(1, d_), in.row(d_ + 1));
  }

  void Vjp(const double* params, ZTape& tape, const ConstMatrixRef& zbar, Eigen::Index B,
           double* grad) const override {
    tape.ybar = config_.zscale * zbar.leftCols(N_ * B);
    net_.Vjp(params, tape.nets[0], tape.ybar, grad);
  }

  void ParamJvp(const double* params, ZTape& tape, const double* thetadot, Eigen::Index B,
                MatrixRef zdot) const override {
    net_.ParamJvp(params, tape.nets[0], thetadot, &tape.ybar);
    zdot.leftCols(N_ * B) = config_.zscale * tape.ybar;
  }

  double FlopsPerSample() const override { return N_ * net_.FlopsPerPoint(); }

 private:
  nn::DenseNet net_;
};

}  // namespace

std::unique_ptr<ZNetwork> CreateSharedNet(const ZNetConfig& config, int d, int num_steps,
                                          double horizon) {
  return std::make_unique<SharedNet>(config, d, num_steps, horizon);
}

}  // namespace udeflow::bsde
