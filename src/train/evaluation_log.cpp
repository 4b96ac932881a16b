#include "udeflow/train/evaluation_log.hpp"

#include <unistd.h>

#include <cstring>

namespace udeflow::train {
namespace {

constexpr char kMagic[16] = "udeflow-taolog1";
constexpr long kHeaderBytes = 16 + 8;

long RecordBytes(PetscInt P) {
  return static_cast<long>(8 + 8 + 8 * P);
}

}  // namespace

uint64_t HashDoubles(const double* x, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; ++i) {
    uint64_t b;
    std::memcpy(&b, &x[i], 8);
    for (int k = 0; k < 8; ++k) {
      h ^= (b >> (8 * k)) & 0xff;
      h *= 1099511628211ULL;
    }
  }
  return h;
}

EvaluationLog::~EvaluationLog() {
  Close();
}

PetscErrorCode EvaluationLog::Close() {
  if (fp_) std::fclose(fp_);
  if (from_fp_) std::fclose(from_fp_);
  fp_ = from_fp_ = nullptr;
  return 0;
}

namespace {

std::FILE* CreateLogFile(const std::string& path, PetscInt P) {
  std::FILE* fp = std::fopen(path.c_str(), "w+b");
  const int64_t p64 = P;
  if (fp && std::fwrite(kMagic, 1, 16, fp) == 16 && std::fwrite(&p64, 8, 1, fp) == 1 &&
      std::fflush(fp) == 0)
    return fp;
  if (fp) std::fclose(fp);
  return nullptr;
}

}  // namespace

PetscErrorCode EvaluationLog::Create(MPI_Comm comm, const std::string& path, PetscInt P) {
  PetscFunctionBeginUser;
  PetscCall(Close());
  comm_ = comm;
  path_ = from_ = path;
  P_ = P;
  count_ = next_ = replay_count_ = 0;
  int rank, ok = 1;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) ok = (fp_ = CreateLogFile(path, P)) != nullptr;
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, comm));
  PetscCheck(ok, comm, PETSC_ERR_FILE_WRITE, "cannot write the optimizer's evaluation log '%s'",
             path.c_str());
  PetscFunctionReturn(0);
}

PetscErrorCode EvaluationLog::Resume(MPI_Comm comm, const std::string& from,
                                     const std::string& path, PetscInt P, long long count,
                                     const char* what) {
  PetscFunctionBeginUser;
  PetscCall(Close());
  comm_ = comm;
  from_ = from;
  path_ = path;
  P_ = P;
  count_ = count;
  next_ = 0;
  replay_count_ = count;
  int rank;
  long long have =
      -1;  // records in the file (-1: unreadable, -2: another P, -3: cannot write path)
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    std::FILE* in = std::fopen(from.c_str(), from == path ? "r+b" : "rb");
    char magic[16];
    int64_t p64 = -1;
    if (in && std::fread(magic, 1, 16, in) == 16 && std::memcmp(magic, kMagic, 16) == 0 &&
        std::fread(&p64, 8, 1, in) == 1) {
      if (p64 != P) {
        have = -2;
      } else {
        std::fseek(in, 0, SEEK_END);
        have = (std::ftell(in) - kHeaderBytes) / RecordBytes(P);
        std::fseek(in, kHeaderBytes, SEEK_SET);
      }
    }
    if (from == path) {
      fp_ = in;
    } else {
      from_fp_ = in;
      if (have >= 0 && !(fp_ = CreateLogFile(path, P))) have = -3;
    }
    record_.resize(static_cast<size_t>(P) + 1);
  }
  PetscCallMPI(MPI_Bcast(&have, 1, MPI_LONG_LONG, 0, comm));
  PetscCheck(have != -1, comm, PETSC_ERR_FILE_OPEN,
             "%s: cannot read the optimizer's evaluation log '%s'", what, from.c_str());
  PetscCheck(have != -2, comm, PETSC_ERR_FILE_UNEXPECTED,
             "%s: the evaluation log '%s' was written for another number of parameters", what,
             from.c_str());
  PetscCheck(have != -3, comm, PETSC_ERR_FILE_WRITE,
             "cannot write the optimizer's evaluation log '%s'", path.c_str());
  PetscCheck(have >= count, comm, PETSC_ERR_FILE_UNEXPECTED,
             "%s: the evaluation log '%s' holds %lld evaluations, the checkpoint needs %lld", what,
             from.c_str(), have, count);
  if (count == 0) PetscCall(FinishReplay());
  PetscFunctionReturn(0);
}

PetscErrorCode EvaluationLog::FinishReplay() {
  PetscFunctionBeginUser;
  int rank, ok = 1;
  PetscCallMPI(MPI_Comm_rank(comm_, &rank));
  if (rank == 0) {
    if (from_fp_) {  // the records were copied to the new log as they were replayed
      std::fclose(from_fp_);
      from_fp_ = nullptr;
    } else {  // drop what the killed run wrote after the checkpoint, append from here
      const long end = kHeaderBytes + static_cast<long>(replay_count_) * RecordBytes(P_);
      ok = std::fflush(fp_) == 0 && ftruncate(fileno(fp_), end) == 0 &&
           std::fseek(fp_, end, SEEK_SET) == 0;
    }
  }
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, comm_));
  PetscCheck(ok, comm_, PETSC_ERR_FILE_WRITE, "cannot truncate the evaluation log '%s'",
             path_.c_str());
  PetscFunctionReturn(0);
}

PetscErrorCode EvaluationLog::Replay(const double* x, double* f, double* g) {
  PetscFunctionBeginUser;
  int rank;
  PetscCallMPI(MPI_Comm_rank(comm_, &rank));
  int ok = 1;
  double value = 0;
  if (rank == 0) {
    std::FILE* in = from_fp_ ? from_fp_ : fp_;
    uint64_t h = 0;
    ok = std::fread(&h, 8, 1, in) == 1 &&
         std::fread(record_.data(), 8, record_.size(), in) == record_.size();
    ok = ok ? (h == HashDoubles(x, static_cast<size_t>(P_)) ? 1 : 2) : 0;
    value = record_[0];
    if (ok == 1) std::memcpy(g, record_.data() + 1, sizeof(double) * static_cast<size_t>(P_));
    if (ok == 1 && from_fp_)
      ok = std::fwrite(&h, 8, 1, fp_) == 1 &&
                   std::fwrite(record_.data(), 8, record_.size(), fp_) == record_.size()
               ? 1
               : 3;
  }
  double msg[2] = {static_cast<double>(ok), value};
  PetscCallMPI(MPI_Bcast(msg, 2, MPI_DOUBLE, 0, comm_));
  ok = static_cast<int>(msg[0]);
  PetscCheck(ok != 0, comm_, PETSC_ERR_FILE_READ, "cannot read evaluation %lld of the log '%s'",
             next_ + 1, from_.c_str());
  PetscCheck(ok != 3, comm_, PETSC_ERR_FILE_WRITE, "cannot write the evaluation log '%s'",
             path_.c_str());
  PetscCheck(ok == 1, comm_, PETSC_ERR_PLIB,
             "resume: the optimizer asked for evaluation %lld at another point than the logged run "
             "('%s'); the "
             "build, the options or the rank count differ from the run that wrote the checkpoint",
             next_ + 1, from_.c_str());
  *f = msg[1];
  ++next_;
  if (next_ == replay_count_) PetscCall(FinishReplay());
  PetscFunctionReturn(0);
}

PetscErrorCode EvaluationLog::Append(const double* x, double f, const double* g) {
  PetscFunctionBeginUser;
  int rank, ok = 1;
  PetscCallMPI(MPI_Comm_rank(comm_, &rank));
  if (rank == 0) {
    const uint64_t h = HashDoubles(x, static_cast<size_t>(P_));
    ok = fp_ && std::fwrite(&h, 8, 1, fp_) == 1 && std::fwrite(&f, 8, 1, fp_) == 1 &&
         std::fwrite(g, 8, static_cast<size_t>(P_), fp_) == static_cast<size_t>(P_) &&
         std::fflush(fp_) == 0;
  }
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, comm_));
  PetscCheck(ok, comm_, PETSC_ERR_FILE_WRITE, "cannot append to the evaluation log '%s'",
             path_.c_str());
  ++count_;
  PetscFunctionReturn(0);
}

PetscErrorCode EvaluationLog::Sync() {
  PetscFunctionBeginUser;
  int rank, ok = 1;
  PetscCallMPI(MPI_Comm_rank(comm_, &rank));
  if (rank == 0 && fp_) ok = std::fflush(fp_) == 0 && fsync(fileno(fp_)) == 0;
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, comm_));
  PetscCheck(ok, comm_, PETSC_ERR_FILE_WRITE, "cannot sync the evaluation log '%s'", path_.c_str());
  PetscFunctionReturn(0);
}

}  // namespace udeflow::train
