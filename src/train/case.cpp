#include "udeflow/train/case.hpp"

#include <sys/stat.h>

#include <cerrno>

#include "udeflow/core/options.hpp"
#include "udeflow/core/rng.hpp"
#include "udeflow/io/catalyst.hpp"
#include "udeflow/io/hdf5.hpp"

namespace udeflow::train {

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
  PetscCall(UdeOptionsString("-output_dir", "Directory for all outputs of the case", &p->output_dir, nullptr));
  p->dataset = p->output_dir + "/dataset.h5";
  p->model = p->output_dir + "/model.h5";
  p->checkpoint = p->output_dir + "/train_state.h5";
  PetscCall(UdeOptionsString("-dataset", "Trajectory dataset (HDF5)", &p->dataset, nullptr));
  PetscCall(UdeOptionsString("-model", "Trained parameters (HDF5)", &p->model, nullptr));
  PetscCall(UdeOptionsString("-train_checkpoint", "Training state written during training (HDF5)", &p->checkpoint,
                             nullptr));
  PetscOptionsEnd();
  std::string catalyst;
  PetscCall(io::CatalystFromOptions(comm, &catalyst));
  PetscCall(MakeDirectory(comm, p->output_dir, "option -output_dir"));
  PetscFunctionReturn(0);
}

PetscErrorCode SaveModel(MPI_Comm comm, const std::string& path, pde::Physics& physics, const std::vector<double>& theta,
                         long long iterations, double loss) {
  PetscFunctionBeginUser;
  io::H5File f;
  PetscCall(io::H5File::Create(comm, path, &f));
  PetscCall(f.WriteAttr("/", "format", std::string("udeflow-model-1")));
  PetscCall(f.WriteAttr("/", "physics", std::string(physics.Type())));
  PetscCall(f.WriteAttr("/", "description", physics.Describe()));
  PetscCall(f.WriteAttr("/", "iterations", iterations));
  PetscCall(f.WriteAttr("/", "loss", loss));
  std::vector<double> t = theta.empty() ? std::vector<double>{0.0} : theta;
  PetscCall(f.WriteArray("/theta", {(hsize_t)t.size()}, t.data()));
  PetscCall(f.WriteAttr("/theta", "count", (long long)theta.size()));
  PetscCall(f.Commit());
  PetscFunctionReturn(0);
}

PetscErrorCode LoadModel(MPI_Comm comm, const std::string& path, const char* what, pde::Physics& physics,
                         AlignedVector<double>* theta_out) {
  PetscFunctionBeginUser;
  io::H5File f;
  PetscCall(io::H5File::Open(comm, path, what, &f));
  std::string format, type;
  PetscCheck(f.HasAttr("/", "format"), comm, PETSC_ERR_FILE_UNEXPECTED, "%s: '%s' is not a udeflow model file", what,
             path.c_str());
  PetscCall(f.ReadAttr("/", "format", &format));
  PetscCall(f.ReadAttr("/", "physics", &type));
  PetscCheck(format == "udeflow-model-1" && type == physics.Type(), comm, PETSC_ERR_FILE_UNEXPECTED,
             "%s: '%s' holds a %s model, the case uses %s", what, path.c_str(), type.c_str(), physics.Type());
  long long count;
  PetscCall(f.ReadAttr("/theta", "count", &count));
  PetscCheck(count == physics.NumParams(), comm, PETSC_ERR_FILE_UNEXPECTED,
             "%s: '%s' has %lld parameters but the case's closure has %" PetscInt_FMT
             " (different -closure_* options?)",
             what, path.c_str(), count, physics.NumParams());
  std::vector<hsize_t> dims;
  std::vector<double> theta;
  PetscCall(f.ReadArray("/theta", &dims, &theta));
  for (double v : theta)
    PetscCheck(std::isfinite(v), comm, PETSC_ERR_FILE_UNEXPECTED, "%s: '%s' has non-finite parameters", what,
               path.c_str());
  theta_out->assign(theta.begin(), theta.begin() + count);
  PetscCall(physics.BindParams(theta_out->data()));
  PetscFunctionReturn(0);
}

uint64_t KeyedIndex(uint64_t seed, uint64_t a, uint64_t b, uint64_t n) {
  const auto bits = Philox::Bits(seed, a, b);
  const uint64_t x = (static_cast<uint64_t>(bits[0]) << 32) | bits[1];
  return n ? x % n : 0;
}

}  // namespace udeflow::train
