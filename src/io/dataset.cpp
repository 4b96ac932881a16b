#include "udeflow/io/dataset.hpp"

#include <petscdmda.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "udeflow/core/log.hpp"

namespace udeflow::io {

namespace {

const char* kFormat = "udeflow-trajectories-1";

template <class T>
std::string JoinList(const std::vector<T>& v) {
  std::ostringstream s;
  s.precision(17);
  for (size_t i = 0; i < v.size(); ++i) s << (i ? "," : "") << v[i];
  return s.str();
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(item);
  return out;
}

std::string GroupName(size_t i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "/traj_%04zu", i);
  return buf;
}

std::string Basename(const std::string& p) {
  size_t s = p.find_last_of('/');
  return s == std::string::npos ? p : p.substr(s + 1);
}

std::string XmfPath(const std::string& h5) {
  if (h5.size() > 3 && h5.compare(h5.size() - 3, 3, ".h5") == 0) return h5.substr(0, h5.size() - 3) + ".xmf";
  return h5 + ".xmf";
}

}  // namespace

// ------------------------------------------------------------------ writer

DatasetWriter::~DatasetWriter() { VecDestroy(&natural_); }

PetscErrorCode DatasetWriter::Create(MPI_Comm comm, const std::string& path, pde::Physics& physics,
                                     const std::string& description) {
  PetscFunctionBeginUser;
  physics_ = &physics;
  PetscCall(H5File::Create(comm, path, &file_));
  PetscCall(file_.WriteAttr("/", "format", std::string(kFormat)));
  PetscCall(file_.WriteAttr("/", "physics", std::string(physics.Type())));
  PetscCall(file_.WriteAttr("/", "fields", JoinList(physics.FieldNames())));
  PetscCall(file_.WriteAttr("/", "grid", JoinList(physics.GridSize())));
  PetscCall(file_.WriteAttr("/", "domain", JoinList(physics.DomainLength())));
  PetscCall(file_.WriteAttr("/", "description", description));
  PetscCall(DMDACreateNaturalVector(physics.Grid(), &natural_));
  PetscFunctionReturn(0);
}

PetscErrorCode DatasetWriter::BeginTrajectory(const std::string& name, const std::string& split, long long seed,
                                              const pde::Scenario& scenario, const std::vector<PetscReal>& times) {
  PetscFunctionBeginUser;
  current_ = GroupName(trajs_.size());
  PetscCall(file_.CreateGroup(current_));
  PetscCall(file_.WriteAttr(current_, "name", name));
  PetscCall(file_.WriteAttr(current_, "split", split));
  PetscCall(file_.WriteAttr(current_, "seed", seed));
  PetscCall(file_.WriteArray(current_ + "/t", {(hsize_t)times.size()}, times.data()));
  std::vector<double> sc = scenario;
  if (sc.empty()) sc.push_back(0.0);
  PetscCall(file_.WriteArray(current_ + "/scenario", {(hsize_t)sc.size()}, sc.data()));
  PetscInt n;
  PetscCall(VecGetSize(natural_, &n));
  PetscCall(file_.CreateDataset(current_ + "/state", {(hsize_t)times.size(), (hsize_t)n}));
  trajs_.push_back({current_, name, split, seed});
  times_.push_back(times);
  PetscFunctionReturn(0);
}

PetscErrorCode DatasetWriter::WriteState(PetscInt k, Vec u) {
  PetscFunctionBeginUser;
  DM da = physics_->Grid();
  PetscCall(DMDAGlobalToNaturalBegin(da, u, INSERT_VALUES, natural_));
  PetscCall(DMDAGlobalToNaturalEnd(da, u, INSERT_VALUES, natural_));
  PetscInt lo, hi;
  PetscCall(VecGetOwnershipRange(natural_, &lo, &hi));
  const PetscScalar* a;
  PetscCall(VecGetArrayRead(natural_, &a));
  PetscCall(file_.WriteSlab(current_ + "/state", {(hsize_t)k, (hsize_t)lo}, {1, (hsize_t)(hi - lo)}, a));
  PetscCall(VecRestoreArrayRead(natural_, &a));
  PetscFunctionReturn(0);
}

PetscErrorCode DatasetWriter::Commit() {
  PetscFunctionBeginUser;
  const std::string path = file_.Path();
  MPI_Comm comm = file_.Comm();
  PetscCall(file_.Commit());
  std::vector<XdmfSeries> series;
  for (size_t i = 0; i < trajs_.size(); ++i)
    series.push_back({trajs_[i].name + " (" + trajs_[i].split + ")", trajs_[i].group + "/state", times_[i]});
  PetscCall(WriteXdmf(comm, XmfPath(path), Basename(path), physics_->GridSize(), physics_->DomainLength(),
                      physics_->FieldNames(), series));
  PetscFunctionReturn(0);
}

// ------------------------------------------------------------------ reader

PetscErrorCode Dataset::Open(MPI_Comm comm, const std::string& path, const char* what) {
  PetscFunctionBeginUser;
  PetscCall(H5File::Open(comm, path, what, &file_));
  std::string format;
  PetscCheck(file_.HasAttr("/", "format"), comm, PETSC_ERR_FILE_UNEXPECTED,
             "%s: '%s' is not a udeflow dataset (no format attribute)", what, path.c_str());
  PetscCall(file_.ReadAttr("/", "format", &format));
  PetscCheck(format == kFormat, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: '%s' has format '%s', expected '%s'", what,
             path.c_str(), format.c_str(), kFormat);
  std::string grid, domain;
  PetscCall(file_.ReadAttr("/", "physics", &physics_));
  PetscCall(file_.ReadAttr("/", "fields", &fields_));
  PetscCall(file_.ReadAttr("/", "grid", &grid));
  PetscCall(file_.ReadAttr("/", "domain", &domain));
  grid_.clear();
  domain_.clear();
  for (const auto& s : SplitList(grid)) grid_.push_back(std::atoll(s.c_str()));
  for (const auto& s : SplitList(domain)) domain_.push_back(std::atof(s.c_str()));
  trajs_.clear();
  for (size_t i = 0; file_.Exists(GroupName(i)); ++i) {
    TrajectoryInfo info;
    info.group = GroupName(i);
    PetscCall(file_.ReadAttr(info.group, "name", &info.name));
    PetscCall(file_.ReadAttr(info.group, "split", &info.split));
    PetscCall(file_.ReadAttr(info.group, "seed", &info.seed));
    trajs_.push_back(info);
  }
  PetscCheck(!trajs_.empty(), comm, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset '%s' holds no trajectories", what,
             path.c_str());
  PetscFunctionReturn(0);
}

PetscErrorCode Dataset::CheckCompatible(const pde::Physics& physics) const {
  PetscFunctionBeginUser;
  MPI_Comm comm = file_.Comm();
  const char* f = file_.Path().c_str();
  PetscCheck(physics_ == physics.Type(), comm, PETSC_ERR_USER_INPUT,
             "dataset '%s' holds physics '%s' but the case uses '%s'", f, physics_.c_str(), physics.Type());
  const std::string fields = JoinList(physics.FieldNames());
  PetscCheck(fields_ == fields, comm, PETSC_ERR_USER_INPUT, "dataset '%s' has variables '%s' but the case has '%s'", f,
             fields_.c_str(), fields.c_str());
  const auto g = physics.GridSize();
  const auto d = physics.DomainLength();
  PetscCheck(grid_.size() == g.size(), comm, PETSC_ERR_USER_INPUT, "dataset '%s' has a %zu-D grid, the case a %zu-D grid",
             f, grid_.size(), g.size());
  if (g.size() > 1)
    for (size_t i = 0; i < g.size(); ++i)
      PetscCheck(grid_[i] == g[i], comm, PETSC_ERR_USER_INPUT,
                 "dataset '%s' has %" PetscInt_FMT " points along axis %zu, the case %" PetscInt_FMT
                 " (coarse-graining is implemented for 1-D grids only)",
                 f, grid_[i], i, g[i]);
  for (size_t i = 0; i < g.size(); ++i) {
    PetscCheck(grid_[i] % g[i] == 0, comm, PETSC_ERR_USER_INPUT,
               "dataset '%s' has %" PetscInt_FMT " cells, not a multiple of the case's %" PetscInt_FMT
               " (grid option of -physics %s)",
               f, grid_[i], g[i], physics.Type());
    PetscCheck(std::abs(domain_[i] - d[i]) <= 1e-9 * std::abs(d[i]), comm, PETSC_ERR_USER_INPUT,
               "dataset '%s' has domain length %g, the case %g", f, (double)domain_[i], (double)d[i]);
  }
  PetscFunctionReturn(0);
}

PetscErrorCode Dataset::ReadTimes(size_t traj, std::vector<PetscReal>* t) const {
  PetscFunctionBeginUser;
  std::vector<hsize_t> dims;
  PetscCall(file_.ReadArray(trajs_[traj].group + "/t", &dims, t));
  for (size_t k = 0; k < t->size(); ++k)
    PetscCheck(std::isfinite((*t)[k]) && (k == 0 || (*t)[k] > (*t)[k - 1]), file_.Comm(), PETSC_ERR_FILE_UNEXPECTED,
               "dataset '%s': times of %s are not finite and increasing", file_.Path().c_str(),
               trajs_[traj].name.c_str());
  PetscFunctionReturn(0);
}

PetscErrorCode Dataset::ReadScenario(size_t traj, pde::Scenario* sc) const {
  PetscFunctionBeginUser;
  std::vector<hsize_t> dims;
  PetscCall(file_.ReadArray(trajs_[traj].group + "/scenario", &dims, sc));
  PetscFunctionReturn(0);
}

PetscErrorCode Dataset::ReadState(size_t traj, PetscInt k, pde::Physics& physics, Vec u) const {
  PetscFunctionBeginUser;
  MPI_Comm comm = file_.Comm();
  DM da = physics.Grid();
  PetscInt xs, xm, dof;
  PetscCall(DMDAGetCorners(da, &xs, nullptr, nullptr, &xm, nullptr, nullptr));
  PetscCall(DMDAGetInfo(da, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, &dof, nullptr, nullptr,
                        nullptr, nullptr, nullptr));
  const PetscInt r = grid_[0] / physics.GridSize()[0];
  const std::string path = trajs_[traj].group + "/state";
  if (grid_.size() > 1) PetscCall(ReadStateNatural(traj, k, physics, u));
  if (grid_.size() > 1) PetscFunctionReturn(0);
  std::vector<hsize_t> dims;
  PetscCall(file_.Dims(path, &dims));
  PetscCheck(dims.size() == 2 && dims[1] == (hsize_t)(grid_[0] * dof) && (hsize_t)k < dims[0], comm,
             PETSC_ERR_FILE_UNEXPECTED, "dataset '%s': %s has shape that does not match its grid", file_.Path().c_str(),
             path.c_str());
  std::vector<double> fine(xm * r * dof);
  PetscCall(file_.ReadSlab(path, {(hsize_t)k, (hsize_t)(xs * r * dof)}, {1, (hsize_t)(xm * r * dof)}, fine.data()));
  int bad = 0;
  for (double v : fine) bad |= !std::isfinite(v);
  int any = 0;
  PetscCallMPI(MPI_Allreduce(&bad, &any, 1, MPI_INT, MPI_LOR, comm));
  PetscCheck(!any, comm, PETSC_ERR_FILE_UNEXPECTED, "dataset '%s': NaN or Inf in %s, snapshot %" PetscInt_FMT,
             file_.Path().c_str(), trajs_[traj].name.c_str(), k);
  PetscScalar* a;
  PetscCall(VecGetArray(u, &a));
  for (PetscInt i = 0; i < xm; ++i)
    for (PetscInt c = 0; c < dof; ++c) {
      double s = 0;
      for (PetscInt q = 0; q < r; ++q) s += fine[(i * r + q) * dof + c];
      a[i * dof + c] = s / r;
    }
  PetscCall(VecRestoreArray(u, &a));
  PetscFunctionReturn(0);
}

// Multi-dimensional grids (same grid as the physics): the file holds the natural
// ordering, which differs from the DMDA's global ordering.
PetscErrorCode Dataset::ReadStateNatural(size_t traj, PetscInt k, pde::Physics& physics, Vec u) const {
  PetscFunctionBeginUser;
  MPI_Comm comm = file_.Comm();
  DM da = physics.Grid();
  const std::string path = trajs_[traj].group + "/state";
  Vec natural;
  PetscCall(DMDACreateNaturalVector(da, &natural));
  PetscInt lo, hi, n;
  PetscCall(VecGetOwnershipRange(natural, &lo, &hi));
  PetscCall(VecGetSize(natural, &n));
  std::vector<hsize_t> dims;
  PetscCall(file_.Dims(path, &dims));
  PetscCheck(dims.size() == 2 && dims[1] == (hsize_t)n && (hsize_t)k < dims[0], comm, PETSC_ERR_FILE_UNEXPECTED,
             "dataset '%s': %s has shape that does not match its grid", file_.Path().c_str(), path.c_str());
  PetscScalar* a;
  PetscCall(VecGetArray(natural, &a));
  PetscCall(file_.ReadSlab(path, {(hsize_t)k, (hsize_t)lo}, {1, (hsize_t)(hi - lo)}, a));
  int bad = 0;
  for (PetscInt i = 0; i < hi - lo; ++i) bad |= !std::isfinite(a[i]);
  PetscCall(VecRestoreArray(natural, &a));
  int any = 0;
  PetscCallMPI(MPI_Allreduce(&bad, &any, 1, MPI_INT, MPI_LOR, comm));
  PetscCheck(!any, comm, PETSC_ERR_FILE_UNEXPECTED, "dataset '%s': NaN or Inf in %s, snapshot %" PetscInt_FMT,
             file_.Path().c_str(), trajs_[traj].name.c_str(), k);
  PetscCall(DMDANaturalToGlobalBegin(da, natural, INSERT_VALUES, u));
  PetscCall(DMDANaturalToGlobalEnd(da, natural, INSERT_VALUES, u));
  PetscCall(VecDestroy(&natural));
  PetscFunctionReturn(0);
}

// ------------------------------------------------------------------ XDMF

PetscErrorCode WriteXdmf(MPI_Comm comm, const std::string& xmf_path, const std::string& h5_name,
                         const std::vector<PetscInt>& grid, const std::vector<PetscReal>& domain,
                         const std::vector<std::string>& fields, const std::vector<XdmfSeries>& series) {
  PetscFunctionBeginUser;
  int rank;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  int ok = 1;
  if (rank == 0) {
    // 1-D, 2-D and 3-D grids as a 3DCoRectMesh of cell values (ZYX order in XDMF).
    PetscInt n[3] = {1, 1, 1};
    PetscReal h[3] = {1, 1, 1};
    for (size_t d = 0; d < grid.size() && d < 3; ++d) {
      n[d] = grid[d];
      h[d] = domain[d] / grid[d];
    }
    PetscInt cells = n[0] * n[1] * n[2];
    const size_t nf = fields.size();
    std::ostringstream x;
    x.precision(17);
    x << "<?xml version=\"1.0\" ?>\n<Xdmf Version=\"3.0\">\n<Domain>\n";
    for (const auto& s : series) {
      x << "<Grid Name=\"" << s.name << "\" GridType=\"Collection\" CollectionType=\"Temporal\">\n";
      for (size_t k = 0; k < s.times.size(); ++k) {
        x << " <Grid Name=\"t" << k << "\" GridType=\"Uniform\">\n  <Time Value=\"" << s.times[k] << "\"/>\n"
          << "  <Topology TopologyType=\"3DCoRectMesh\" Dimensions=\"" << n[2] + 1 << " " << n[1] + 1 << " "
          << n[0] + 1 << "\"/>\n"
          << "  <Geometry GeometryType=\"ORIGIN_DXDYDZ\">\n"
          << "   <DataItem Dimensions=\"3\" Format=\"XML\">0 0 0</DataItem>\n"
          << "   <DataItem Dimensions=\"3\" Format=\"XML\">" << h[2] << " " << h[1] << " " << h[0] << "</DataItem>\n"
          << "  </Geometry>\n";
        for (size_t f = 0; f < nf; ++f) {
          x << "  <Attribute Name=\"" << fields[f] << "\" AttributeType=\"Scalar\" Center=\"Cell\">\n"
            << "   <DataItem ItemType=\"HyperSlab\" Dimensions=\"" << n[2] << " " << n[1] << " " << n[0] << "\">\n"
            << "    <DataItem Dimensions=\"3 2\" Format=\"XML\">" << k << " " << f << " 1 " << nf << " 1 " << cells
            << "</DataItem>\n"
            << "    <DataItem Dimensions=\"" << s.times.size() << " " << cells * nf << "\" NumberType=\"Float\" "
            << "Precision=\"8\" Format=\"HDF\">" << h5_name << ":" << s.dataset << "</DataItem>\n"
            << "   </DataItem>\n  </Attribute>\n";
        }
        x << " </Grid>\n";
      }
      x << "</Grid>\n";
    }
    x << "</Domain>\n</Xdmf>\n";
    const std::string tmp = xmf_path + ".partial";
    std::ofstream out(tmp);
    out << x.str();
    out.close();
    ok = out.good() && std::rename(tmp.c_str(), xmf_path.c_str()) == 0;
  }
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, comm));
  PetscCheck(ok, comm, PETSC_ERR_FILE_WRITE, "cannot write '%s'", xmf_path.c_str());
  PetscFunctionReturn(0);
}

}  // namespace udeflow::io
