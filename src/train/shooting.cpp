// Multiple shooting for the Trainer: node states of every training trajectory are
// trainable; the loss is the misfit at every snapshot of the horizon plus a continuity
// penalty at the nodes.  See trainer.hpp.
#include <petscdmda.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "udeflow/core/log.hpp"
#include "udeflow/core/rng.hpp"
#include "udeflow/core/session.hpp"
#include "udeflow/train/trainer.hpp"

namespace udeflow::train {

namespace {

// Observations of one segment: the data at its snapshots (weight wd), and at its end,
// when it is not the last segment of the horizon, the continuity term
// wc mean((u - z_next)^2) instead; u - z_next is kept in `mismatch` for dL/dz_next.
class SegmentObserver : public adjoint::Observer {
 public:
  SegmentObserver(const std::vector<Vec>* data, double wd, Vec target, double wc, Vec mismatch)
      : data_(data), wd_(wd), target_(target), wc_(wc), mismatch_(mismatch) {}
  ~SegmentObserver() override { VecDestroy(&work_); }
  PetscErrorCode Observe(PetscInt k, PetscReal, Vec u, PetscReal* loss, Vec dldu) override {
    PetscFunctionBeginUser;
    if (!work_) PetscCall(VecDuplicate(u, &work_));
    PetscInt n;
    PetscCall(VecGetSize(u, &n));
    const bool continuity = target_ && k == static_cast<PetscInt>(data_->size());
    const double w = continuity ? wc_ : wd_;
    PetscCall(VecWAXPY(work_, -1.0, continuity ? target_ : (*data_)[k], u));
    PetscReal nrm;
    PetscCall(VecNorm(work_, NORM_2, &nrm));
    *loss += w * nrm * nrm / n;
    if (dldu) PetscCall(VecAXPBY(dldu, 2.0 * w / n, 0.0, work_));
    if (continuity) PetscCall(VecCopy(work_, mismatch_));
    PetscFunctionReturn(0);
  }

 private:
  const std::vector<Vec>* data_;
  double wd_;
  Vec target_;
  double wc_;
  Vec mismatch_;
  Vec work_ = nullptr;
};

}  // namespace

PetscInt Trainer::NodeSnapshot(size_t j, PetscInt s) const {
  const PetscInt K = static_cast<PetscInt>(times_[j].size()) - 1;
  return s >= segments_ ? K : (s * K) / segments_;
}

PetscInt Trainer::HorizonAt(long long it) const {
  if (!schedule_.empty()) return it < 0 ? schedule_.back() : schedule_[ScheduleStage(it)];
  PetscInt h = PETSC_MAX_INT;
  for (const auto& t : times_) h = std::min<PetscInt>(h, static_cast<PetscInt>(t.size()) - 1);
  return h;
}

std::vector<size_t> Trainer::TrajectoryBatch(long long it) const {
  const size_t n = states_.size();
  std::vector<size_t> all(n);
  for (size_t j = 0; j < n; ++j) all[j] = j;
  if (batch_trajectories_ <= 0 || static_cast<size_t>(batch_trajectories_) >= n) return all;
  // A keyed shuffle: trajectories ordered by a counter-based random key, first B taken.
  std::vector<uint64_t> key(n);
  for (size_t j = 0; j < n; ++j)
    key[j] = KeyedIndex(seed_, static_cast<uint64_t>(it), 0x5452414aULL + j, 1ULL << 62);
  std::sort(all.begin(), all.end(),
            [&](size_t a, size_t b) { return key[a] < key[b] || (key[a] == key[b] && a < b); });
  all.resize(batch_trajectories_);
  std::sort(all.begin(), all.end());
  return all;
}

PetscErrorCode Trainer::ReplicateVec(Vec v, double* out) {
  PetscFunctionBeginUser;
  if (!to_all_) PetscCall(VecScatterCreateToAll(v, &to_all_, &all_));
  PetscCall(VecScatterBegin(to_all_, v, all_, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(to_all_, v, all_, INSERT_VALUES, SCATTER_FORWARD));
  PetscInt N;
  PetscCall(VecGetSize(all_, &N));
  PetscCall(NaturalOrdering());
  const PetscScalar* a;
  PetscCall(VecGetArrayRead(all_, &a));
  for (PetscInt i = 0; i < N; ++i) out[natural_[i]] = a[i];
  PetscCall(VecRestoreArrayRead(all_, &a));
  PetscFunctionReturn(0);
}

// Node states in x are in the grid's natural ordering (a DMDA's global vectors are ordered
// by rank): the same x means the same states, and a training state resumes, on any
// number of ranks.  natural_[i] is the natural index of global index i.
PetscErrorCode Trainer::NaturalOrdering() {
  PetscFunctionBeginUser;
  if (!natural_.empty()) PetscFunctionReturn(0);
  PetscInt N;
  PetscCall(VecGetSize(states_[0][0], &N));
  natural_.resize(N);
  std::iota(natural_.begin(), natural_.end(), PetscInt(0));
  DM dm = physics_->Grid();
  PetscBool isda = PETSC_FALSE;
  PetscCall(PetscObjectTypeCompare((PetscObject)dm, DMDA, &isda));
  if (isda) {
    AO ao;
    PetscCall(DMDAGetAO(dm, &ao));
    PetscCall(AOPetscToApplication(ao, N, natural_.data()));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode Trainer::InitialShootingStates(AlignedVector<double>* x) {
  PetscFunctionBeginUser;
  const PetscInt P = physics_->NumParams();
  PetscInt N;
  PetscCall(VecGetSize(states_[0][0], &N));
  for (size_t j = 0; j < states_.size(); ++j)
    for (PetscInt s = 0; s < segments_; ++s)
      PetscCall(
          ReplicateVec(states_[j][NodeSnapshot(j, s)], x->data() + P + (j * segments_ + s) * N));
  PetscFunctionReturn(0);
}

namespace {

// The node's own snapshot d predicted by the node state z: adds wd |z - d|^2 / N (this
// rank's entries) to *direct and, if gnode, its gradient to gnode (this rank's entries i at
// gnode[nat[i]], nat the natural indices of the rank's entries).
PetscErrorCode NodeDataTerm(Vec z, Vec d, double wd, PetscInt N, const PetscInt* nat,
                            double* direct, double* gnode) {
  PetscFunctionBeginUser;
  const PetscScalar *za, *da;
  PetscInt n;
  PetscCall(VecGetLocalSize(z, &n));
  PetscCall(VecGetArrayRead(z, &za));
  PetscCall(VecGetArrayRead(d, &da));
  for (PetscInt i = 0; i < n; ++i) {
    const double r = za[i] - da[i];
    *direct += wd * r * r / N;
    if (gnode) gnode[nat[i]] += 2.0 * wd * r / N;
  }
  PetscCall(VecRestoreArrayRead(z, &za));
  PetscCall(VecRestoreArrayRead(d, &da));
  PetscFunctionReturn(0);
}

// A segment's gradient: theta's part g (first g.size() entries of grad), the start node's
// (gz, this rank's entries at gnode) and, unless the segment is the last, the continuity
// penalty's with respect to the next node (-2 wc mismatch / N at gnext).
PetscErrorCode AddSegmentGradient(const std::vector<double>& g, Vec gz, Vec mismatch, double wc,
                                  PetscInt N, const PetscInt* nat, double* grad, double* gnode,
                                  double* gnext) {
  PetscFunctionBeginUser;
  for (size_t i = 0; i < g.size(); ++i) grad[i] += g[i];
  const PetscScalar* ga;
  PetscInt n;
  PetscCall(VecGetLocalSize(gz, &n));
  PetscCall(VecGetArrayRead(gz, &ga));
  for (PetscInt i = 0; i < n; ++i) gnode[nat[i]] += ga[i];
  PetscCall(VecRestoreArrayRead(gz, &ga));
  if (mismatch) {
    const PetscScalar* ma;
    PetscCall(VecGetArrayRead(mismatch, &ma));
    for (PetscInt i = 0; i < n; ++i) gnext[nat[i]] -= 2.0 * wc * ma[i] / N;
    PetscCall(VecRestoreArrayRead(mismatch, &ma));
  }
  PetscFunctionReturn(0);
}

// This rank's entries of v from a state stored in natural ordering (nat: the natural
// indices of the rank's entries).
PetscErrorCode SetFromNatural(Vec v, const double* state, const PetscInt* nat) {
  PetscFunctionBeginUser;
  PetscInt n;
  PetscScalar* a;
  PetscCall(VecGetLocalSize(v, &n));
  PetscCall(VecGetArray(v, &a));
  for (PetscInt i = 0; i < n; ++i) a[i] = state[nat[i]];
  PetscCall(VecRestoreArray(v, &a));
  PetscFunctionReturn(0);
}

// Work vectors of a segment, destroyed with the object.
struct SegmentVectors {
  Vec v[4] = {nullptr, nullptr, nullptr, nullptr};
  PetscErrorCode Create(Vec like) {
    for (Vec& x : v) PetscCall(VecDuplicate(like, &x));
    return 0;
  }
  ~SegmentVectors() {
    for (Vec& x : v) VecDestroy(&x);
  }
};

// Node terms and node gradients are per-rank pieces within the group (gcomm); the groups'
// losses and gradients are summed across groups (`across`, MPI_COMM_NULL: one group).
PetscErrorCode ReduceShooting(MPI_Comm gcomm, MPI_Comm across, PetscInt P, PetscInt X,
                              double direct, double* loss, double* grad) {
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(LogEvents::allreduce, 0, 0, 0, 0));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &direct, 1, MPI_DOUBLE, MPI_SUM, gcomm));
  if (grad && X > P)
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, grad + P, X - P, MPI_DOUBLE, MPI_SUM, gcomm));
  *loss += direct;
  if (across != MPI_COMM_NULL) {
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, loss, 1, MPI_DOUBLE, MPI_SUM, across));
    if (grad) PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, grad, X, MPI_DOUBLE, MPI_SUM, across));
  }
  PetscCall(PetscLogEventEnd(LogEvents::allreduce, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

}  // namespace

PetscErrorCode Trainer::ShootingLossAndGradient(const std::vector<size_t>& trajs, PetscInt horizon,
                                                const AlignedVector<double>& x, double* loss,
                                                std::vector<double>* grad) {
  PetscFunctionBeginUser;
  PetscCheck(Shooting(), comm_, PETSC_ERR_ARG_WRONGSTATE,
             "ShootingLossAndGradient needs -train_shooting_segments");
  const PetscInt P = physics_->NumParams();
  const PetscInt X = NumTrainable();
  PetscCheck((PetscInt)x.size() == X, comm_, PETSC_ERR_ARG_SIZ,
             "shooting: x has %zu entries, expected %" PetscInt_FMT, x.size(), X);
  PetscCall(physics_->BindParams(x.data()));
  MPI_Comm gcomm = PetscObjectComm((PetscObject)physics_->Grid());
  SegmentVectors w;  // node state, next node (target), node gradient, continuity mismatch
  PetscCall(w.Create(states_[0][0]));
  Vec z = w.v[0], target = w.v[1], gz = w.v[2], mismatch = w.v[3];
  PetscInt N, lo, hi;
  PetscCall(VecGetSize(z, &N));
  PetscCall(VecGetOwnershipRange(z, &lo, &hi));
  PetscCall(NaturalOrdering());
  const PetscInt* nat = natural_.data() + lo;  // natural indices of this rank's entries
  auto Offset = [&](size_t j, PetscInt s) {
    return P + (static_cast<PetscInt>(j) * segments_ + s) * N;
  };
  auto SetFromX = [&](Vec v, PetscInt off) { return SetFromNatural(v, x.data() + off, nat); };

  *loss = 0;
  if (grad) grad->assign(X, 0.0);
  std::vector<double> g(P);
  double direct = 0;  // node data terms: this rank's entries
  const double rb = batch_reduce_ == "sum" ? 1.0 : 1.0 / static_cast<double>(trajs.size());
  size_t item = 0;
  std::vector<Vec> data;
  std::vector<PetscReal> times;
  for (size_t j : trajs) {
    const PetscInt K = static_cast<PetscInt>(times_[j].size()) - 1;
    const PetscInt h = std::min(horizon, K);
    const double wd = rb / static_cast<double>(h + 1), wc = rb * continuity_;
    for (PetscInt s = 0; s < segments_ && NodeSnapshot(j, s) < h; ++s, ++item) {
      if (static_cast<int>(item % ngroups_) != group_) continue;  // another group's segment
      const PetscInt a = NodeSnapshot(j, s), e = std::min(NodeSnapshot(j, s + 1), h);
      const bool last = e == h;
      // The node's own snapshot is predicted by the node state.
      PetscCall(SetFromX(z, Offset(j, s)));
      PetscCall(NodeDataTerm(z, states_[j][a], wd, N, nat, &direct,
                             grad ? grad->data() + Offset(j, s) : nullptr));
      data.clear();
      times.clear();
      for (PetscInt k = a + 1; k <= e; ++k) {
        times.push_back(times_[j][k]);
        if (k < e || last) data.push_back(states_[j][k]);
      }
      if (!last) PetscCall(SetFromX(target, Offset(j, s + 1)));
      SegmentObserver obs(&data, wd, last ? nullptr : target, wc, mismatch);
      PetscCall(physics_->SetScenario(scenarios_[j]));
      integrator_->SetNudging(gain_, &times_[j], &states_[j]);  // PEM (gain 0: off)
      PetscReal l = 0;
      PetscErrorCode ierr =
          grad ? integrator_->Gradient(times_[j][a], z, times, &obs, &l, g.data(), gz)
               : integrator_->Forward(times_[j][a], z, times, &obs, &l);
      if (ierr == PETSC_ERR_NOT_CONVERGED) {  // diverged: infinite loss (see LossAndGradient)
        SessionClearError();
        *loss = INFINITY;
        continue;
      }
      PetscCall(ierr);
      if (grad)
        PetscCall(AddSegmentGradient(g, gz, last ? nullptr : mismatch, wc, N, nat, grad->data(),
                                     grad->data() + Offset(j, s),
                                     last ? nullptr : grad->data() + Offset(j, s + 1)));
      *loss += l;
    }
  }
  PetscCall(ReduceShooting(gcomm, ngroups_ > 1 ? across_ : MPI_COMM_NULL, P, X, direct, loss,
                           grad ? grad->data() : nullptr));
  // The physics' penalty on theta (the first P entries of x; replicated, added once).
  *loss += physics_->ParamPenalty(x.data(), grad ? grad->data() : nullptr);
  PetscFunctionReturn(0);
}

}  // namespace udeflow::train
