// Training-state checkpoint of the BSDE trainer (parallel HDF5, written atomically) and
// the history file.
//
// Layout of bsde_checkpoint.h5:
//   /  attributes: format = "udeflow-bsde-checkpoint", version, equation, dim, steps,
//      net, num_params, seed, iteration, adam_steps, seconds
//   /params          flat parameters (Y_0 first)
//   /adam/m, /adam/v Adam moments of the network parameters (Y_0 takes Newton steps)
//   /history/loss        training loss of every iteration so far
//   /history/validation  one row per validation: iteration, train loss, valid loss, u0
//   /history/validation_seconds  wall-clock time of each validation (version 1: a 5th column)
#include <cmath>
#include <cstdio>

#include "udeflow/bsde/trainer.hpp"
#include "udeflow/core/log.hpp"
#include "udeflow/core/provenance.hpp"
#include "udeflow/io/hdf5.hpp"

namespace udeflow::bsde {
namespace {
constexpr const char* kFormat = "udeflow-bsde-checkpoint";
constexpr long long kVersion = 2;  // 2: validation seconds apart (results compare bit for bit)
constexpr int kValidationColumns = 4;

PetscErrorCode CheckFormat(MPI_Comm comm, io::H5File& f, const std::string& path,
                           const char* what) {
  PetscFunctionBeginUser;
  std::string format;
  const bool has_format = f.HasAttr("/", "format");
  PetscCall(f.CheckIntact());
  PetscCheck(has_format, comm, PETSC_ERR_FILE_UNEXPECTED,
             "%s: '%s' is not a udeflow BSDE training checkpoint", what, path.c_str());
  PetscCall(f.ReadAttr("/", "format", &format));
  PetscCheck(format == kFormat, comm, PETSC_ERR_FILE_UNEXPECTED,
             "%s: '%s' is not a udeflow BSDE training checkpoint (format '%s')", what, path.c_str(),
             format.c_str());
  PetscFunctionReturn(0);
}

// /history/validation as kValidationColumns-column rows and the seconds of each row
// (version 1 kept the seconds as a last column); empty when the file has none.
PetscErrorCode ReadValidationRows(MPI_Comm comm, io::H5File& f, long long version,
                                  const std::string& path, const char* what,
                                  std::vector<double>* rows_out, std::vector<double>* seconds_out) {
  PetscFunctionBeginUser;
  if (!f.Exists("/history/validation")) PetscFunctionReturn(0);
  std::vector<hsize_t> dims;
  std::vector<double>& rows = *rows_out;
  std::vector<double>& row_seconds = *seconds_out;
  PetscCall(f.ReadArray("/history/validation", &dims, &rows));
  const hsize_t columns = version == 1 ? kValidationColumns + 1 : kValidationColumns;
  PetscCheck(dims.size() == 2 && dims[1] == columns, comm, PETSC_ERR_FILE_UNEXPECTED,
             "%s: checkpoint '%s': /history/validation has the wrong shape", what, path.c_str());
  if (version == 1) {  // seconds were the last column
    std::vector<double> kept;
    for (size_t i = 0; i + columns <= rows.size(); i += columns) {
      kept.insert(kept.end(), rows.begin() + i, rows.begin() + i + kValidationColumns);
      row_seconds.push_back(rows[i + kValidationColumns]);
    }
    rows = kept;
  } else {
    PetscCall(f.ReadArray("/history/validation_seconds", &dims, &row_seconds));
  }
  PetscCheck(
      row_seconds.size() * kValidationColumns == rows.size(), comm, PETSC_ERR_FILE_UNEXPECTED,
      "%s: checkpoint '%s': /history/validation_seconds has the wrong length", what, path.c_str());
  PetscFunctionReturn(0);
}

}  // namespace

PetscErrorCode Trainer::WriteCheckpoint(const std::string& path) {
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(LogEvents::hdf5_write, 0, 0, 0, 0));
  const int P = model_->NumParams();
  const Vector& params = model_->Params();
  const Vector& m = adam_.FirstMoment();
  const Vector& v = adam_.SecondMoment();
  io::H5File f;
  PetscCall(io::H5File::Create(comm_, path, &f));
  PetscCall(f.WriteAttr("/", "format", std::string(kFormat)));
  PetscCall(f.WriteAttr("/", "version", kVersion));
  PetscCall(f.WriteAttr("/", "equation", opt_.equation));
  PetscCall(f.WriteAttr("/", "dim", static_cast<long long>(opt_.dim)));
  PetscCall(f.WriteAttr("/", "steps", static_cast<long long>(opt_.steps)));
  PetscCall(f.WriteAttr("/", "net", opt_.net));
  PetscCall(f.WriteAttr("/", "num_params", static_cast<long long>(P)));
  PetscCall(f.WriteAttr("/", "seed", static_cast<long long>(opt_.seed)));
  PetscCall(f.WriteAttr("/", "iteration", static_cast<long long>(iteration_)));
  PetscCall(f.WriteAttr("/", "adam_steps", static_cast<long long>(adam_.StepCount())));
  PetscCall(f.WriteAttr("/", "seconds", Elapsed()));
  PetscCall(f.WriteArray("/params", {static_cast<hsize_t>(P)}, params.data()));
  PetscCall(f.CreateGroup("/adam"));
  PetscCall(f.WriteArray("/adam/m", {static_cast<hsize_t>(m.size())}, m.data()));
  PetscCall(f.WriteArray("/adam/v", {static_cast<hsize_t>(v.size())}, v.data()));
  PetscCall(f.CreateGroup("/history"));
  if (!loss_history_.empty())
    PetscCall(f.WriteArray("/history/loss", {loss_history_.size()}, loss_history_.data()));
  if (!valid_history_.empty()) {
    std::vector<double> rows, seconds;
    for (const ValidationRecord& r : valid_history_) {
      rows.insert(rows.end(), {static_cast<double>(r.iteration), r.train_loss, r.valid_loss, r.u0});
      seconds.push_back(r.seconds);
    }
    PetscCall(f.WriteArray("/history/validation", {valid_history_.size(), kValidationColumns},
                           rows.data()));
    PetscCall(f.WriteArray("/history/validation_seconds", {valid_history_.size()}, seconds.data()));
  }
  PetscCall(f.Commit());
  last_checkpoint_ = path;
  last_checkpoint_iteration_ = iteration_;
  PetscCall(PetscLogEventEnd(LogEvents::hdf5_write, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

namespace {

// A checkpoint written by another build, CPU or rank count resumes correctly but not bit
// for bit: say so.
PetscErrorCode NoteProvenance(MPI_Comm comm, io::H5File& f, const std::string& path) {
  PetscFunctionBeginUser;
  const std::string changed = ProvenanceDifferences([&](const char* name) {
    std::string value;
    if (f.HasAttr("/", name)) f.ReadAttr("/", name, &value);
    return value;
  });
  if (!changed.empty())
    PetscCall(PetscPrintf(
        comm,
        "bsde: note: '%s' was written by another set-up (%s): the resumed run continues "
        "correctly but is bit-identical to an uninterrupted run only on the same build, CPU "
        "and rank count\n",
        path.c_str(), changed.c_str()));
  PetscFunctionReturn(0);
}

}  // namespace

PetscErrorCode Trainer::ReadCheckpoint(const std::string& path, const char* what) {
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(LogEvents::hdf5_read, 0, 0, 0, 0));
  io::H5File f;
  PetscCall(io::H5File::Open(comm_, path, what, &f));
  PetscCall(CheckFormat(comm_, f, path, what));
  std::string equation, net;
  long long dim, steps, num_params, iteration, adam_steps, seed;
  double seconds;
  PetscCall(f.ReadAttr("/", "equation", &equation));
  PetscCall(f.ReadAttr("/", "net", &net));
  PetscCall(f.ReadAttr("/", "dim", &dim));
  PetscCall(f.ReadAttr("/", "steps", &steps));
  PetscCall(f.ReadAttr("/", "num_params", &num_params));
  PetscCall(f.ReadAttr("/", "iteration", &iteration));
  PetscCall(f.ReadAttr("/", "adam_steps", &adam_steps));
  PetscCall(f.ReadAttr("/", "seed", &seed));
  PetscCall(f.ReadAttr("/", "seconds", &seconds));
  const int P = model_->NumParams();
  PetscCheck(equation == opt_.equation && dim == opt_.dim && steps == opt_.steps &&
                 net == opt_.net && num_params == P,
             comm_, PETSC_ERR_FILE_UNEXPECTED,
             "%s: checkpoint '%s' is for equation %s, d=%lld, N=%lld, %s network with %lld "
             "parameters; this run has "
             "%s, d=%" PetscInt_FMT ", N=%" PetscInt_FMT ", %s network with %d parameters",
             what, path.c_str(), equation.c_str(), dim, steps, net.c_str(), num_params,
             opt_.equation.c_str(), opt_.dim, opt_.steps, opt_.net.c_str(), P);
  PetscCheck(iteration >= 0 && adam_steps >= 0, comm_, PETSC_ERR_FILE_UNEXPECTED,
             "%s: checkpoint '%s' has a negative iteration count", what, path.c_str());
  std::vector<hsize_t> dims;
  std::vector<double> params, m, v;
  PetscCall(f.ReadArray("/params", &dims, &params));
  PetscCall(f.ReadArray("/adam/m", &dims, &m));
  PetscCall(f.ReadArray("/adam/v", &dims, &v));
  PetscCheck(params.size() == static_cast<size_t>(P) && m.size() + 1 == params.size() &&
                 v.size() == m.size(),
             comm_, PETSC_ERR_FILE_UNEXPECTED,
             "%s: checkpoint '%s' has parameter arrays of the wrong length", what, path.c_str());
  long long version = 1;
  PetscCall(f.ReadAttr("/", "version", &version));
  if (opt_.monitor) PetscCall(NoteProvenance(comm_, f, path));
  std::vector<double> loss, rows, row_seconds;
  if (f.Exists("/history/loss")) PetscCall(f.ReadArray("/history/loss", &dims, &loss));
  PetscCall(ReadValidationRows(comm_, f, version, path, what, &rows, &row_seconds));
  PetscCall(f.CheckIntact());  // a damaged index is not "no history"
  PetscCall(f.Close());

  model_->Params() = Eigen::Map<Vector>(params.data(), P);
  PetscCallCXX(adam_.SetState(Eigen::Map<Vector>(m.data(), P - 1),
                              Eigen::Map<Vector>(v.data(), P - 1), adam_steps));
  iteration_ = static_cast<long>(iteration);
  seconds_offset_ = seconds;
  loss_history_ = loss;
  valid_history_.clear();
  for (size_t i = 0, k = 0; i + kValidationColumns <= rows.size(); i += kValidationColumns, ++k)
    valid_history_.push_back(
        {static_cast<long>(rows[i]), rows[i + 1], rows[i + 2], rows[i + 3], row_seconds[k]});
  // The running mean of the training loss since the last validation, summed in the same
  // order as the uninterrupted run did (its next record must not depend on the resume).
  const long since = valid_history_.empty() ? 0 : valid_history_.back().iteration;
  loss_since_record_ = 0;
  iterations_since_record_ = 0;
  for (long i = since; i < iteration_ && i < static_cast<long>(loss_history_.size()); ++i) {
    loss_since_record_ += loss_history_[static_cast<size_t>(i)];
    ++iterations_since_record_;
  }
  if (seed != opt_.seed && opt_.monitor)
    PetscCall(PetscPrintf(
        comm_,
        "bsde: note: checkpoint written with seed %lld, continuing with seed %" PetscInt_FMT
        " (the noise of later iterations differs from the original run)\n",
        seed, opt_.seed));
  PetscCall(PetscLogEventEnd(LogEvents::hdf5_read, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode Trainer::WriteHistoryCsv(const std::string& path) const {
  PetscFunctionBeginUser;
  int ok = 1;
  if (rank_ == 0) {
    const std::string tmp = path + ".partial";
    std::FILE* fp = std::fopen(tmp.c_str(), "w");
    ok = fp != nullptr;
    if (fp) {
      const bool ref = eq_->HasReference();
      std::fputs(ProvenanceComment("# ").c_str(), fp);
      std::fprintf(
          fp, "iteration,train_loss,valid_loss,u0,rel_err,trivial_err,seconds,reference,trivial\n");
      for (const ValidationRecord& r : valid_history_) {
        const double err =
            ref ? std::abs(r.u0 - eq_->Reference()) / std::abs(eq_->Reference()) : NAN;
        const double triv =
            ref ? std::abs(trivial_ - eq_->Reference()) / std::abs(eq_->Reference()) : NAN;
        std::fprintf(fp, "%ld,%.17g,%.17g,%.17g,%.6e,%.6e,%.4f,%.17g,%.17g\n", r.iteration,
                     r.train_loss, r.valid_loss, r.u0, err, triv, r.seconds,
                     ref ? eq_->Reference() : NAN, trivial_);
      }
      ok = std::fclose(fp) == 0 && std::rename(tmp.c_str(), path.c_str()) == 0;
    }
  }
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, comm_));
  PetscCheck(ok, comm_, PETSC_ERR_FILE_OPEN,
             "cannot write the history file '%s' (option -output_dir)", path.c_str());
  PetscFunctionReturn(0);
}

}  // namespace udeflow::bsde
