#include "udeflow/train/model_file.hpp"

#include <cmath>

#include "udeflow/io/hdf5.hpp"

namespace udeflow::train {

PetscErrorCode SaveModel(MPI_Comm comm, const std::string& path, pde::Physics& physics,
                         const std::vector<double>& theta, long long iterations, double loss) {
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

PetscErrorCode LoadModel(MPI_Comm comm, const std::string& path, const char* what,
                         pde::Physics& physics, AlignedVector<double>* theta_out) {
  PetscFunctionBeginUser;
  io::H5File f;
  PetscCall(io::H5File::Open(comm, path, what, &f));
  std::string format, type;
  const bool has_format = f.HasAttr("/", "format");
  PetscCall(f.CheckIntact());
  PetscCheck(has_format, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: '%s' is not a udeflow model file",
             what, path.c_str());
  PetscCall(f.ReadAttr("/", "format", &format));
  // Say what the file is when it is another udeflow file (a training state, a dataset).
  PetscCheck(format == "udeflow-model-1", comm, PETSC_ERR_FILE_UNEXPECTED,
             "%s: '%s' is a udeflow %s (format %s), not a model file; train writes the model to "
             "model.h5 in its -output_dir",
             what, path.c_str(), f.Kind().c_str(), format.c_str());
  PetscCall(f.ReadAttr("/", "physics", &type));
  PetscCheck(type == physics.Type(), comm, PETSC_ERR_FILE_UNEXPECTED,
             "%s: '%s' holds a %s model, the case uses %s", what, path.c_str(), type.c_str(),
             physics.Type());
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
    PetscCheck(std::isfinite(v), comm, PETSC_ERR_FILE_UNEXPECTED,
               "%s: '%s' has non-finite parameters", what, path.c_str());
  theta_out->assign(theta.begin(), theta.begin() + count);
  PetscCall(physics.BindParams(theta_out->data()));
  PetscFunctionReturn(0);
}

PetscErrorCode WriteLearnedReport(MPI_Comm comm, const std::string& path,
                                  const pde::Physics::LearnedReport& report) {
  PetscFunctionBeginUser;
  if (report.format.empty()) PetscFunctionReturn(0);
  io::H5File f;
  PetscCall(io::H5File::Create(comm, path, &f));
  PetscCall(f.WriteAttr("/", "format", report.format));
  for (const auto& [name, value] : report.text) PetscCall(f.WriteAttr("/", name.c_str(), value));
  for (const auto& [name, v] : report.arrays)
    PetscCall(f.WriteArray("/" + name, {(hsize_t)v.size()}, v.data()));
  for (const auto& [name, value] : report.values) PetscCall(f.WriteAttr("/", name.c_str(), value));
  PetscCall(f.Commit());
  PetscCall(PetscPrintf(comm, "learned terms written to %s\n", path.c_str()));
  PetscFunctionReturn(0);
}

}  // namespace udeflow::train
