#include "udeflow/train/history.hpp"

#include <cstdio>
#include <cstring>

#include "udeflow/core/provenance.hpp"

namespace udeflow::train {

std::string TrainHistory::PathFor(const std::string& checkpoint) {
  const size_t slash = checkpoint.find_last_of('/');
  return (slash == std::string::npos ? std::string(".") : checkpoint.substr(0, slash)) +
         "/train_history.csv";
}

PetscErrorCode TrainHistory::Write(MPI_Comm comm, const std::string& path, long long end) const {
  PetscFunctionBeginUser;
  int rank, ok = 1;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    const std::string tmp = path + ".partial";
    std::FILE* fp = std::fopen(tmp.c_str(), "w");
    ok = fp != nullptr;
    if (fp) {
      std::fputs(ProvenanceComment("# ").c_str(), fp);
      std::fprintf(fp, "iteration,phase,loss,grad_norm,lr,window,seconds\n");
      // %.17g: the values round-trip exactly (two runs' files compare bit for bit).
      for (const Row& r : rows_)
        if (r.iteration < end)
          std::fprintf(fp, "%lld,%s,%.17g,%.17g,%.17g,%lld,%.4f\n", r.iteration, PhaseName(r.phase),
                       r.loss, r.gnorm, r.lr, r.window, r.seconds);
      ok = std::fclose(fp) == 0 && std::rename(tmp.c_str(), path.c_str()) == 0;
    }
  }
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, comm));
  PetscCheck(ok, comm, PETSC_ERR_FILE_WRITE, "cannot write the training history '%s'",
             path.c_str());
  PetscFunctionReturn(0);
}

PetscErrorCode TrainHistory::Read(MPI_Comm comm, const std::string& path, long long end) {
  PetscFunctionBeginUser;
  int rank;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  std::vector<Row> rows;
  if (rank == 0) {
    if (std::FILE* fp = std::fopen(path.c_str(), "r")) {
      char header[4096];
      bool found = false;  // the column header, after the '#' provenance lines
      while (!found && std::fgets(header, sizeof(header), fp))
        found = std::strncmp(header, "iteration,", 10) == 0;
      if (found) {
        Row r;
        char phase[16];
        while (std::fscanf(fp, "%lld,%15[a-z],%lf,%lf,%lf,%lld,%lf", &r.iteration, phase, &r.loss,
                           &r.gnorm, &r.lr, &r.window, &r.seconds) == 7) {
          r.phase = std::string(phase) == "lbfgs" ? kLbfgs
                    : std::string(phase) == "lm"  ? kLm
                                                  : kAdam;
          if (r.iteration < end) rows.push_back(r);
        }
      }
      std::fclose(fp);
    }
  }
  long long n = static_cast<long long>(rows.size());
  PetscCallMPI(MPI_Bcast(&n, 1, MPI_LONG_LONG, 0, comm));
  rows.resize(n);
  static_assert(sizeof(Row) % sizeof(double) == 0, "Row is sent as doubles");
  if (n) PetscCallMPI(MPI_Bcast(rows.data(), static_cast<int>(n * sizeof(Row)), MPI_BYTE, 0, comm));
  rows_ = rows;
  PetscFunctionReturn(0);
}

}  // namespace udeflow::train
