#include "udeflow/workflow/case.hpp"

#include <sys/stat.h>

#include <cerrno>

#include "udeflow/core/options.hpp"
#include "udeflow/io/catalyst.hpp"

namespace udeflow::workflow {

PetscErrorCode MakeDirectory(MPI_Comm comm, const std::string& dir, const char* what) {
  PetscFunctionBeginUser;
  int rank, ok = 1;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0 && !dir.empty()) {
    std::string partial;
    for (size_t i = 0; i <= dir.size(); ++i) {
      if (i == dir.size() || dir[i] == '/') {
        partial = dir.substr(0, i);
        if (!partial.empty() && mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) ok = 0;
      }
    }
    struct stat st;
    ok = ok && stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  }
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, comm));
  PetscCheck(ok, comm, PETSC_ERR_FILE_OPEN, "%s: cannot create directory '%s'", what, dir.c_str());
  PetscFunctionReturn(0);
}

PetscErrorCode CasePathsFromOptions(MPI_Comm comm, CasePaths* p) {
  PetscFunctionBeginUser;
  PetscOptionsBegin(comm, nullptr, "Case files", "case");
  PetscCall(UdeOptionsString("-output_dir", "Directory for all outputs of the case", &p->output_dir,
                             nullptr));
  p->dataset = p->output_dir + "/dataset.h5";
  p->model = p->output_dir + "/model.h5";
  p->checkpoint = p->output_dir + "/train_state.h5";
  PetscCall(UdeOptionsString("-dataset", "Trajectory dataset (HDF5)", &p->dataset, nullptr));
  PetscCall(UdeOptionsString("-model", "Trained parameters (HDF5)", &p->model, nullptr));
  PetscCall(UdeOptionsString("-train_checkpoint", "Training state written during training (HDF5)",
                             &p->checkpoint, nullptr));
  PetscOptionsEnd();
  std::string catalyst;
  PetscCall(io::CatalystFromOptions(comm, &catalyst));
  PetscCall(MakeDirectory(comm, p->output_dir, "option -output_dir"));
  PetscFunctionReturn(0);
}

}  // namespace udeflow::workflow
