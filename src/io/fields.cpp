#include "udeflow/io/fields.hpp"

#include <petscdmda.h>

#include <cstdio>

namespace udeflow::io {

std::string XdmfPathFor(const std::string& h5) {
  if (h5.size() > 3 && h5.compare(h5.size() - 3, 3, ".h5") == 0)
    return h5.substr(0, h5.size() - 3) + ".xmf";
  return h5 + ".xmf";
}

FieldWriter::~FieldWriter() {
  VecDestroy(&natural_);
}

PetscErrorCode FieldWriter::Create(const std::string& path, DM da, const GridGeometry& geometry) {
  PetscFunctionBeginUser;
  MPI_Comm comm = PetscObjectComm((PetscObject)da);
  geometry_ = geometry;
  geometry_.Complete();
  PetscInt dim, M, N, P, dof;
  PetscCall(DMDAGetInfo(da, &dim, &M, &N, &P, nullptr, nullptr, nullptr, &dof, nullptr, nullptr,
                        nullptr, nullptr, nullptr));
  const PetscInt sizes[3] = {M, N, P};
  PetscCheck(dim == geometry_.Dim() && dof == (PetscInt)geometry_.fields.size(), comm,
             PETSC_ERR_ARG_INCOMP,
             "field output '%s': the grid is %" PetscInt_FMT "-D with %" PetscInt_FMT
             " components, the geometry %" PetscInt_FMT "-D with %zu fields",
             path.c_str(), dim, dof, geometry_.Dim(), geometry_.fields.size());
  for (PetscInt d = 0; d < dim; ++d)
    PetscCheck(sizes[d] == geometry_.cells[d], comm, PETSC_ERR_ARG_INCOMP,
               "field output '%s': dimension %" PetscInt_FMT " has %" PetscInt_FMT
               " cells, the geometry %" PetscInt_FMT,
               path.c_str(), d, sizes[d], geometry_.cells[d]);
  da_ = da;
  path_ = path;
  series_.clear();
  PetscCall(VecDestroy(&natural_));
  PetscCall(DMDACreateNaturalVector(da, &natural_));
  PetscCall(H5File::Create(comm, path, &file_));
  PetscCall(file_.WriteAttr("/", "format", std::string("udeflow-fields-1")));
  PetscCall(file_.WriteAttr("/", "fields", [&] {
    std::string s;
    for (size_t i = 0; i < geometry_.fields.size(); ++i) s += (i ? "," : "") + geometry_.fields[i];
    return s;
  }()));
  PetscCall(WriteGeometryAttrs(file_, "/", geometry_));
  PetscFunctionReturn(0);
}

PetscErrorCode FieldWriter::Write(const std::string& series, PetscReal t, Vec u) {
  PetscFunctionBeginUser;
  XdmfSeries* s = nullptr;
  for (auto& x : series_)
    if (x.name == series) s = &x;
  if (!s) {
    series_.push_back({series, "", {}, {}});
    s = &series_.back();
    PetscCall(file_.CreateGroup("/" + series));
  }
  char name[32];
  std::snprintf(name, sizeof(name), "/frame_%06zu", s->frames.size());
  const std::string ds = "/" + series + name;
  PetscInt n, lo, hi;
  PetscCall(VecGetSize(natural_, &n));
  PetscCall(file_.CreateDataset(ds, {(hsize_t)n}));
  PetscCall(DMDAGlobalToNaturalBegin(da_, u, INSERT_VALUES, natural_));
  PetscCall(DMDAGlobalToNaturalEnd(da_, u, INSERT_VALUES, natural_));
  PetscCall(VecGetOwnershipRange(natural_, &lo, &hi));
  const PetscScalar* a;
  PetscCall(VecGetArrayRead(natural_, &a));
  PetscCall(file_.WriteSlab(ds, {(hsize_t)lo}, {(hsize_t)(hi - lo)}, a));
  PetscCall(VecRestoreArrayRead(natural_, &a));
  PetscCall(file_.WriteAttr(ds, "time", static_cast<double>(t)));
  PetscCall(WriteGeometryAttrs(file_, ds, geometry_));
  s->times.push_back(t);
  s->frames.push_back(ds);
  PetscFunctionReturn(0);
}

PetscErrorCode FieldWriter::Commit() {
  PetscFunctionBeginUser;
  MPI_Comm comm = file_.Comm();
  PetscCall(file_.Commit());
  const size_t slash = path_.find_last_of('/');
  const std::string base = slash == std::string::npos ? path_ : path_.substr(slash + 1);
  PetscCall(WriteXdmf(comm, XdmfPathFor(path_), base, geometry_, series_));
  PetscFunctionReturn(0);
}

}  // namespace udeflow::io
