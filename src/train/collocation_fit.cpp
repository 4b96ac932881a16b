// Collocation for the Trainer (Roesch, Rackauckas & Stumpf 2021): the training
// trajectories are smoothed in time by a local-quadratic kernel smoother
// (collocation.hpp), whose bandwidth is chosen by leave-one-out cross-validation over all
// cells and trajectories, and the right-hand side is fitted to the smoothed derivative at
// the snapshots: no solve in the loop.  Works for every physics (the residual and its
// parameter VJP are Physics::Rhs and Physics::ParamJacobianMultTranspose on the
// distributed state); see trainer.hpp.
#include <cmath>
#include <limits>

#include "udeflow/core/log.hpp"
#include "udeflow/train/collocation.hpp"
#include "udeflow/train/trainer.hpp"

namespace udeflow::train {

namespace {

// This rank's entries of trajectory `states` as series: out[i * n + k] = entry i at snapshot k.
PetscErrorCode LocalSeries(const std::vector<Vec>& states, std::vector<double>* out) {
  PetscFunctionBeginUser;
  const size_t n = states.size();
  PetscInt nloc;
  PetscCall(VecGetLocalSize(states[0], &nloc));
  out->assign(static_cast<size_t>(nloc) * n, 0.0);
  for (size_t k = 0; k < n; ++k) {
    const PetscScalar* a;
    PetscCall(VecGetArrayRead(states[k], &a));
    for (PetscInt i = 0; i < nloc; ++i) (*out)[i * n + k] = a[i];
    PetscCall(VecRestoreArrayRead(states[k], &a));
  }
  PetscFunctionReturn(0);
}

// v[i] = sum_l W[k * n + l] series[i * n + l] (row k of a smoother matrix).
PetscErrorCode ApplyRow(const std::vector<double>& W, size_t n, size_t k,
                        const std::vector<double>& series, Vec v) {
  PetscFunctionBeginUser;
  PetscScalar* a;
  PetscInt nloc;
  PetscCall(VecGetLocalSize(v, &nloc));
  PetscCall(VecGetArray(v, &a));
  for (PetscInt i = 0; i < nloc; ++i) {
    double s = 0;
    for (size_t l = 0; l < n; ++l) s += W[k * n + l] * series[i * n + l];
    a[i] = s;
  }
  PetscCall(VecRestoreArray(v, &a));
  PetscFunctionReturn(0);
}

}  // namespace

PetscErrorCode Trainer::SetUpCollocation() {
  PetscFunctionBeginUser;
  MPI_Comm gcomm = PetscObjectComm((PetscObject)physics_->Grid());
  std::vector<std::vector<double>> series(states_.size());
  for (size_t j = 0; j < states_.size(); ++j) {
    PetscCheck(states_[j].size() >= 5, comm_, PETSC_ERR_USER_INPUT,
               "option -train_method collocation: a training trajectory has %zu snapshots "
               "(at least 5 needed to smooth it)",
               states_[j].size());
    PetscCall(LocalSeries(states_[j], &series[j]));
  }
  double h = colloc_bandwidth_, best = std::numeric_limits<double>::infinity();
  if (h == 0) {  // leave-one-out cross-validation over every cell of every trajectory
    std::vector<double> cands;
    PetscCallCXX(cands = CandidateBandwidths(times_[0]));
    for (double c : cands) {
      double sum = 0;
      for (size_t j = 0; j < states_.size(); ++j) {
        const size_t n = times_[j].size();
        SmootherMatrices m;
        PetscCallCXX(m = BuildSmoother(times_[j], c));
        for (size_t i = 0; i < series[j].size() / n; ++i)
          sum += LeaveOneOutSum(m, series[j].data() + i * n);
      }
      PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &sum, 1, MPI_DOUBLE, MPI_SUM, gcomm));
      if (sum <= best) {  // ascending candidates: ties go to the larger bandwidth
        best = sum;
        h = c;
      }
    }
    PetscCheck(std::isfinite(best), comm_, PETSC_ERR_USER_INPUT,
               "option -train_collocation_bandwidth: cross-validation found no usable "
               "bandwidth; give one");
  }
  double resid = 0, count = 0;  // data - smoothed data: an estimate of the noise
  for (size_t j = 0; j < states_.size(); ++j) {
    const size_t n = times_[j].size();
    SmootherMatrices m;
    PetscCallCXX(m = BuildSmoother(times_[j], h));
    const size_t lo = static_cast<size_t>(std::floor(colloc_trim_ * n)), hi = n - lo;
    std::vector<Vec> u, du;
    std::vector<PetscReal> t;
    for (size_t k = lo; k < hi; ++k) {
      Vec a, b;
      PetscCall(VecDuplicate(states_[j][0], &a));
      PetscCall(VecDuplicate(a, &b));
      PetscCall(ApplyRow(m.S, n, k, series[j], a));
      PetscCall(ApplyRow(m.D, n, k, series[j], b));
      PetscReal dist;
      PetscCall(VecAXPY(a, -1.0, states_[j][k]));
      PetscCall(VecNorm(a, NORM_2, &dist));
      PetscCall(VecAXPY(a, 1.0, states_[j][k]));
      PetscInt N;
      PetscCall(VecGetSize(a, &N));
      resid += dist * dist;
      count += N;
      u.push_back(a);
      du.push_back(b);
      t.push_back(times_[j][k]);
    }
    colloc_u_.push_back(std::move(u));
    colloc_du_.push_back(std::move(du));
    colloc_t_.push_back(std::move(t));
  }
  PetscCall(PetscPrintf(comm_,
                        "train: collocation: bandwidth %.4g (%s), data - smoothed data rms %.3e, "
                        "%zu of %zu snapshots per trajectory kept\n",
                        h, colloc_bandwidth_ > 0 ? "given" : "leave-one-out cross-validation",
                        std::sqrt(resid / std::max(count, 1.0)), colloc_t_[0].size(),
                        times_[0].size()));
  PetscFunctionReturn(0);
}

PetscErrorCode Trainer::CollocationLossAndGradient(const AlignedVector<double>& x, double* loss,
                                                   std::vector<double>* grad) {
  PetscFunctionBeginUser;
  PetscCheck(!colloc_u_.empty(), comm_, PETSC_ERR_ARG_WRONGSTATE,
             "collocation: SetUp() did not prepare the smoothed data");
  const PetscInt P = physics_->NumParams();
  PetscCall(physics_->BindParams(x.data()));
  MPI_Comm gcomm = PetscObjectComm((PetscObject)physics_->Grid());
  Vec r;
  PetscCall(VecDuplicate(colloc_u_[0][0], &r));
  PetscInt N;
  PetscCall(VecGetSize(r, &N));
  std::vector<double> g(P, 0.0);  // this rank's partial sums
  *loss = 0;
  size_t item = 0;
  for (size_t j = 0; j < colloc_u_.size(); ++j) {
    PetscCall(physics_->SetScenario(scenarios_[j]));
    const size_t K = colloc_u_[j].size();
    const double w = 1.0 / (static_cast<double>(colloc_u_.size()) * K * N);
    for (size_t k = 0; k < K; ++k, ++item) {
      if (static_cast<int>(item % ngroups_) != group_) continue;  // another group's snapshot
      const PetscReal t = colloc_t_[j][k];
      PetscCall(physics_->Rhs(t, colloc_u_[j][k], r));
      PetscCall(VecAXPY(r, -1.0, colloc_du_[j][k]));
      PetscReal nrm;
      PetscCall(VecNorm(r, NORM_2, &nrm));
      *loss += w * nrm * nrm;
      if (!grad) continue;
      PetscCall(physics_->Linearize(t, colloc_u_[j][k], false));
      PetscCall(VecScale(r, 2.0 * w));
      PetscCall(physics_->ParamJacobianMultTranspose(r, g.data()));
    }
  }
  PetscCall(VecDestroy(&r));
  PetscCall(PetscLogEventBegin(LogEvents::allreduce, 0, 0, 0, 0));
  if (grad) {
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, g.data(), P, MPI_DOUBLE, MPI_SUM, gcomm));
    grad->assign(NumTrainable(), 0.0);  // node states (shooting) do not enter
    std::copy(g.begin(), g.end(), grad->begin());
  }
  if (ngroups_ > 1) {
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, loss, 1, MPI_DOUBLE, MPI_SUM, across_));
    if (grad)
      PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, grad->data(), P, MPI_DOUBLE, MPI_SUM, across_));
  }
  PetscCall(PetscLogEventEnd(LogEvents::allreduce, 0, 0, 0, 0));
  *loss += physics_->ParamPenalty(x.data(), grad ? grad->data() : nullptr);
  PetscFunctionReturn(0);
}

}  // namespace udeflow::train
