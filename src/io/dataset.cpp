#include "udeflow/io/dataset.hpp"

#include "udeflow/core/provenance.hpp"

#include <petscdmda.h>

#include <algorithm>
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
  if (h5.size() > 3 && h5.compare(h5.size() - 3, 3, ".h5") == 0)
    return h5.substr(0, h5.size() - 3) + ".xmf";
  return h5 + ".xmf";
}

}  // namespace

PetscErrorCode WriteGeometryAttrs(H5File& file, const std::string& object,
                                  const GridGeometry& geo_in) {
  PetscFunctionBeginUser;
  GridGeometry geo = geo_in;
  geo.Complete();
  if (object != "/") {  // the root keeps the format's own "grid", "domain", "fields"
    PetscCall(file.WriteAttr(object, "grid", JoinList(geo.cells)));
    PetscCall(file.WriteAttr(object, "domain", JoinList(geo.length)));
    PetscCall(file.WriteAttr(object, "fields", JoinList(geo.fields)));
    PetscCall(file.WriteAttr(object, "layout",
                             std::string("natural order, x fastest, fields interleaved")));
  }
  PetscCall(file.WriteAttr(object, "origin", JoinList(geo.origin)));
  PetscCall(file.WriteAttr(object, "units", JoinList(geo.units)));
  PetscFunctionReturn(0);
}

// ------------------------------------------------------------------ writer

DatasetWriter::~DatasetWriter() {
  VecDestroy(&natural_);
}

PetscErrorCode DatasetWriter::Discard() {
  PetscFunctionBeginUser;
  PetscCall(file_.Close());
  PetscCall(VecDestroy(&natural_));
  trajs_.clear();
  times_.clear();
  PetscFunctionReturn(0);
}

PetscErrorCode CreateNaturalVector(DM dm, Vec* natural) {
  PetscFunctionBeginUser;
  PetscBool is_da;
  PetscCall(PetscObjectTypeCompare((PetscObject)dm, DMDA, &is_da));
  if (is_da)
    PetscCall(DMDACreateNaturalVector(dm, natural));
  else
    PetscCall(DMCreateGlobalVector(dm, natural));
  PetscFunctionReturn(0);
}

PetscErrorCode GlobalToNatural(DM dm, Vec global, Vec natural) {
  PetscFunctionBeginUser;
  PetscBool is_da;
  PetscCall(PetscObjectTypeCompare((PetscObject)dm, DMDA, &is_da));
  if (is_da) {
    PetscCall(DMDAGlobalToNaturalBegin(dm, global, INSERT_VALUES, natural));
    PetscCall(DMDAGlobalToNaturalEnd(dm, global, INSERT_VALUES, natural));
  } else {
    PetscCall(VecCopy(global, natural));
  }
  PetscFunctionReturn(0);
}

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
  PetscCall(WriteGeometryAttrs(file_, "/", GridGeometry::FromPhysics(physics)));
  PetscCall(CreateNaturalVector(physics.Grid(), &natural_));
  PetscFunctionReturn(0);
}

PetscErrorCode DatasetWriter::BeginTrajectory(const std::string& name, const std::string& split,
                                              long long seed, const pde::Scenario& scenario,
                                              const std::vector<PetscReal>& times) {
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
  PetscCall(WriteGeometryAttrs(file_, current_ + "/state", GridGeometry::FromPhysics(*physics_)));
  trajs_.push_back({current_, name, split, seed});
  times_.push_back(times);
  PetscFunctionReturn(0);
}

PetscErrorCode DatasetWriter::WriteState(PetscInt k, Vec u) {
  PetscFunctionBeginUser;
  DM da = physics_->Grid();
  PetscCall(GlobalToNatural(da, u, natural_));
  PetscInt lo, hi;
  PetscCall(VecGetOwnershipRange(natural_, &lo, &hi));
  const PetscScalar* a;
  PetscCall(VecGetArrayRead(natural_, &a));
  PetscCall(
      file_.WriteSlab(current_ + "/state", {(hsize_t)k, (hsize_t)lo}, {1, (hsize_t)(hi - lo)}, a));
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
    series.push_back(
        {trajs_[i].name + " (" + trajs_[i].split + ")", trajs_[i].group + "/state", times_[i], {}});
  PetscCall(
      WriteXdmf(comm, XmfPath(path), Basename(path), GridGeometry::FromPhysics(*physics_), series));
  PetscFunctionReturn(0);
}

// ------------------------------------------------------------------ reader

PetscErrorCode Dataset::Open(MPI_Comm comm, const std::string& path, const char* what) {
  PetscFunctionBeginUser;
  PetscCall(H5File::Open(comm, path, what, &file_));
  std::string format;
  const bool has_format = file_.HasAttr("/", "format");
  PetscCall(file_.CheckIntact());
  PetscCheck(has_format, comm, PETSC_ERR_FILE_UNEXPECTED,
             "%s: '%s' is not a udeflow dataset (no format attribute)", what, path.c_str());
  PetscCall(file_.ReadAttr("/", "format", &format));
  PetscCheck(format == kFormat, comm, PETSC_ERR_FILE_UNEXPECTED,
             "%s: '%s' has format '%s', expected '%s'", what, path.c_str(), format.c_str(),
             kFormat);
  std::string grid, domain;
  PetscCall(file_.ReadAttr("/", "physics", &physics_));
  PetscCall(file_.ReadAttr("/", "fields", &fields_));
  PetscCall(file_.ReadAttr("/", "grid", &grid));
  PetscCall(file_.ReadAttr("/", "domain", &domain));
  grid_.clear();
  domain_.clear();
  for (const auto& s : SplitList(grid)) grid_.push_back(std::atoll(s.c_str()));
  for (const auto& s : SplitList(domain)) domain_.push_back(std::atof(s.c_str()));
  bool sane = !grid_.empty() && grid_.size() == domain_.size();
  for (size_t i = 0; sane && i < grid_.size(); ++i)
    sane = grid_[i] > 0 && std::isfinite(domain_[i]) && domain_[i] > 0;
  PetscCheck(sane, comm, PETSC_ERR_FILE_UNEXPECTED,
             "%s: dataset '%s' has a damaged grid '%s' or domain '%s' attribute", what,
             path.c_str(), grid.c_str(), domain.c_str());
  trajs_.clear();
  for (size_t i = 0; file_.Exists(GroupName(i)); ++i) {
    TrajectoryInfo info;
    info.group = GroupName(i);
    PetscCall(file_.ReadAttr(info.group, "name", &info.name));
    PetscCall(file_.ReadAttr(info.group, "split", &info.split));
    PetscCall(file_.ReadAttr(info.group, "seed", &info.seed));
    trajs_.push_back(info);
  }
  PetscCall(file_.CheckIntact());  // a damaged group index is not "no more trajectories"
  PetscCheck(!trajs_.empty(), comm, PETSC_ERR_FILE_UNEXPECTED,
             "%s: dataset '%s' holds no trajectories", what, path.c_str());
  PetscFunctionReturn(0);
}

PetscErrorCode Dataset::CheckCompatible(const pde::Physics& physics) const {
  PetscFunctionBeginUser;
  MPI_Comm comm = file_.Comm();
  const char* f = file_.Path().c_str();
  PetscCheck(physics_ == physics.Type(), comm, PETSC_ERR_USER_INPUT,
             "dataset '%s' holds physics '%s' but the case uses '%s'", f, physics_.c_str(),
             physics.Type());
  const std::string fields = JoinList(physics.FieldNames());
  PetscCheck(fields_ == fields, comm, PETSC_ERR_USER_INPUT,
             "dataset '%s' has variables '%s' but the case has '%s'", f, fields_.c_str(),
             fields.c_str());
  const auto g = physics.GridSize();
  const auto d = physics.DomainLength();
  PetscCheck(grid_.size() == g.size(), comm, PETSC_ERR_USER_INPUT,
             "dataset '%s' has a %zu-D grid, the case a %zu-D grid", f, grid_.size(), g.size());
  // Coarse-graining averages blocks of r_0 x r_1 x ... fine cells, r_i = file/case cells.
  std::vector<std::string> options = physics.ResolutionOptions();
  if (options.empty()) options = {"cells"};
  for (size_t i = 0; i < g.size(); ++i) {
    PetscCheck(
        grid_[i] % g[i] == 0, comm, PETSC_ERR_USER_INPUT,
        "dataset '%s' has %" PetscInt_FMT
        " cells in dimension %zu, not a multiple of the case's %" PetscInt_FMT " (option -%s)",
        f, grid_[i], i + 1, g[i], i < options.size() ? options[i].c_str() : options[0].c_str());
    PetscCheck(std::abs(domain_[i] - d[i]) <= 1e-9 * std::abs(d[i]), comm, PETSC_ERR_USER_INPUT,
               "dataset '%s' has domain length %g, the case %g", f, (double)domain_[i],
               (double)d[i]);
  }
  PetscFunctionReturn(0);
}

PetscErrorCode Dataset::ReadTimes(size_t traj, std::vector<PetscReal>* t) const {
  PetscFunctionBeginUser;
  std::vector<hsize_t> dims;
  PetscCall(file_.ReadArray(trajs_[traj].group + "/t", &dims, t));
  for (size_t k = 0; k < t->size(); ++k)
    PetscCheck(std::isfinite((*t)[k]) && (k == 0 || (*t)[k] > (*t)[k - 1]), file_.Comm(),
               PETSC_ERR_FILE_UNEXPECTED, "dataset '%s': times of %s are not finite and increasing",
               file_.Path().c_str(), trajs_[traj].name.c_str());
  PetscFunctionReturn(0);
}

PetscErrorCode Dataset::ReadScenario(size_t traj, pde::Scenario* sc) const {
  PetscFunctionBeginUser;
  std::vector<hsize_t> dims;
  PetscCall(file_.ReadArray(trajs_[traj].group + "/scenario", &dims, sc));
  PetscFunctionReturn(0);
}

// Any dimension: the file is in natural order (first dimension fastest).  Each rank
// owns a contiguous range [lo, hi) of the coarse natural vector; it reads the fine rows
// of the slowest dimension that cover it (one contiguous slab, full extent in the faster
// dimensions) and averages the r_0 x r_1 x ... fine cells of each of its coarse cells.
PetscErrorCode Dataset::ReadState(size_t traj, PetscInt k, pde::Physics& physics, Vec u) const {
  PetscFunctionBeginUser;
  MPI_Comm comm = file_.Comm();
  DM da = physics.Grid();
  PetscInt dof;
  PetscBool is_da;
  PetscCall(PetscObjectTypeCompare((PetscObject)da, DMDA, &is_da));
  if (is_da)
    PetscCall(DMDAGetInfo(da, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, &dof,
                          nullptr, nullptr, nullptr, nullptr, nullptr));
  else  // one point with all fields (the DMREDUNDANT of ODE states)
    dof = static_cast<PetscInt>(physics.FieldNames().size());
  const auto g = physics.GridSize();
  const size_t nd = g.size();
  std::vector<PetscInt> r(nd), fstride(nd + 1, 1), cstride(nd + 1, 1);
  for (size_t i = 0; i < nd; ++i) {
    r[i] = grid_[i] / g[i];
    fstride[i + 1] = fstride[i] * grid_[i];
    cstride[i + 1] = cstride[i] * g[i];
  }
  const std::string path = trajs_[traj].group + "/state";
  std::vector<hsize_t> dims;
  PetscCall(file_.Dims(path, &dims));
  PetscCheck(dims.size() == 2 && dims[1] == (hsize_t)(fstride[nd] * dof) && (hsize_t)k < dims[0],
             comm, PETSC_ERR_FILE_UNEXPECTED,
             "dataset '%s': %s has shape that does not match its grid", file_.Path().c_str(),
             path.c_str());
  // A 1-D DMDA's global ordering is the natural one, and so is that of other DMs.
  const bool scatter = is_da && nd > 1;
  Vec natural = u;
  if (scatter) PetscCall(DMDACreateNaturalVector(da, &natural));
  PetscInt lo, hi;
  PetscCall(VecGetOwnershipRange(natural, &lo, &hi));
  lo /= dof;
  hi /= dof;
  const PetscInt plane = cstride[nd - 1], fplane = fstride[nd - 1], rs = r[nd - 1];
  PetscInt row0 = 0, nrows = 0;
  if (hi > lo) {
    row0 = (lo / plane) * rs;
    nrows = ((hi - 1) / plane + 1) * rs - row0;
  }
  std::vector<double> fine(nrows * fplane * dof);
  PetscCall(file_.ReadSlab(path, {(hsize_t)k, (hsize_t)(row0 * fplane * dof)},
                           {1, (hsize_t)fine.size()}, fine.data()));
  int bad = 0;
  for (double v : fine) bad |= !std::isfinite(v);
  int any = 0;
  PetscCallMPI(MPI_Allreduce(&bad, &any, 1, MPI_INT, MPI_LOR, comm));
  if (any && scatter) PetscCall(VecDestroy(&natural));
  PetscCheck(!any, comm, PETSC_ERR_FILE_UNEXPECTED,
             "dataset '%s': NaN or Inf in %s, snapshot %" PetscInt_FMT, file_.Path().c_str(),
             trajs_[traj].name.c_str(), k);
  PetscInt block = 1;
  for (PetscInt ri : r) block *= ri;
  std::vector<PetscInt> ci(nd), q(nd);
  PetscScalar* a;
  PetscCall(VecGetArray(natural, &a));
  for (PetscInt cell = lo; cell < hi; ++cell) {
    for (size_t i = 0; i < nd; ++i) ci[i] = (cell / cstride[i]) % g[i];
    for (PetscInt c = 0; c < dof; ++c) {
      double s = 0;
      std::fill(q.begin(), q.end(), 0);
      for (PetscInt m = 0; m < block; ++m) {
        PetscInt off = 0;
        for (size_t i = 0; i < nd; ++i) off += (ci[i] * r[i] + q[i]) * fstride[i];
        s += fine[(off - row0 * fplane) * dof + c];
        for (size_t i = 0; i < nd && ++q[i] == r[i]; ++i) q[i] = 0;  // next fine cell of the block
      }
      a[(cell - lo) * dof + c] = s / block;
    }
  }
  PetscCall(VecRestoreArray(natural, &a));
  if (scatter) {
    PetscCall(DMDANaturalToGlobalBegin(da, natural, INSERT_VALUES, u));
    PetscCall(DMDANaturalToGlobalEnd(da, natural, INSERT_VALUES, u));
    PetscCall(VecDestroy(&natural));
  }
  PetscFunctionReturn(0);
}

// ------------------------------------------------------------------ XDMF

namespace {

std::string XmlEscape(const std::string& in) {
  std::string out;
  for (char c : in) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

PetscErrorCode WriteXdmf(MPI_Comm comm, const std::string& xmf_path, const std::string& h5_name,
                         const std::vector<PetscInt>& grid, const std::vector<PetscReal>& domain,
                         const std::vector<std::string>& fields,
                         const std::vector<XdmfSeries>& series) {
  GridGeometry g;
  g.cells = grid;
  g.length = domain;
  g.fields = fields;
  g.Complete();
  return WriteXdmf(comm, xmf_path, h5_name, g, series);
}

namespace {

// Cell values on a 3DCoRectMesh; XDMF lists dimensions, origins and spacings slowest
// first (z y x).  1-D and 2-D grids are one layer of cells thick (as thick as the
// smallest spacing): ParaView's XDMF reader maps a 2DCoRectMesh onto the y-z plane, so a
// 3-D mesh is the one that keeps x along x.
struct XdmfMesh {
  std::vector<PetscInt> n = std::vector<PetscInt>(3, 1);
  std::vector<PetscReal> origin = std::vector<PetscReal>(3, 0.0),
                         spacing = std::vector<PetscReal>(3, 0.0);
  std::string topo, cells_dims;  // point and cell dimensions, z y x
};

XdmfMesh MeshOf(const GridGeometry& geo) {
  XdmfMesh m;
  const size_t dim = geo.cells.size();
  PetscReal hmin = 0;
  for (size_t d = 0; d < dim; ++d) hmin = d == 0 ? geo.Spacing(d) : std::min(hmin, geo.Spacing(d));
  for (size_t d = 0; d < 3; ++d) {
    const size_t i = 2 - d;  // slot in z y x order
    if (d < dim) {
      m.n[i] = geo.cells[d];
      m.origin[i] = geo.origin[d];
      m.spacing[i] = geo.Spacing(d);
    } else {
      m.spacing[i] = hmin;
    }
  }
  std::ostringstream topo, cells_dims;
  for (size_t i = 0; i < m.n.size(); ++i) {
    topo << (i ? " " : "") << m.n[i] + 1;
    cells_dims << (i ? " " : "") << m.n[i];
  }
  m.topo = topo.str();
  m.cells_dims = cells_dims.str();
  return m;
}

// The uniform grid of time k of series s: mesh, and a hyperslab of the HDF5 data per field.
void XdmfTimeGrid(std::ostringstream& x, const XdmfMesh& mesh, const GridGeometry& geo,
                  const XdmfSeries& s, size_t k, const std::string& h5_name) {
  const bool three = true;
  const std::vector<PetscInt>& n = mesh.n;
  const PetscInt cells = geo.NumCells();
  const size_t nf = geo.fields.size();
  x << " <Grid Name=\"t" << k << "\" GridType=\"Uniform\">\n  <Time Value=\"" << s.times[k]
    << "\"/>\n"
    << "  <Topology TopologyType=\"" << (three ? "3D" : "2D") << "CoRectMesh\" Dimensions=\""
    << mesh.topo << "\"/>\n"
    << "  <Geometry GeometryType=\"" << (three ? "ORIGIN_DXDYDZ" : "ORIGIN_DXDY") << "\">\n"
    << "   <DataItem Dimensions=\"" << n.size()
    << "\" NumberType=\"Float\" Precision=\"8\" Format=\"XML\">";
  for (size_t i = 0; i < n.size(); ++i) x << (i ? " " : "") << mesh.origin[i];
  x << "</DataItem>\n   <DataItem Dimensions=\"" << n.size()
    << "\" NumberType=\"Float\" Precision=\"8\" Format=\"XML\">";
  for (size_t i = 0; i < n.size(); ++i) x << (i ? " " : "") << mesh.spacing[i];
  x << "</DataItem>\n  </Geometry>\n";
  const bool frames = !s.frames.empty();
  for (size_t f = 0; f < nf; ++f) {
    x << "  <Attribute Name=\"" << XmlEscape(geo.fields[f])
      << "\" AttributeType=\"Scalar\" Center=\"Cell\">\n";
    if (!geo.units[f].empty())
      x << "   <Information Name=\"units\" Value=\"" << XmlEscape(geo.units[f]) << "\"/>\n";
    x << "   <DataItem ItemType=\"HyperSlab\" Dimensions=\"" << mesh.cells_dims
      << "\" Type=\"HyperSlab\">\n";
    if (frames) {
      x << "    <DataItem Dimensions=\"3 1\" Format=\"XML\">" << f << " " << nf << " " << cells
        << "</DataItem>\n"
        << "    <DataItem Dimensions=\"" << cells * nf
        << "\" NumberType=\"Float\" Precision=\"8\" Format=\"HDF\">" << XmlEscape(h5_name) << ":"
        << XmlEscape(s.frames[k]) << "</DataItem>\n";
    } else {
      x << "    <DataItem Dimensions=\"3 2\" Format=\"XML\">" << k << " " << f << " 1 " << nf
        << " 1 " << cells << "</DataItem>\n"
        << "    <DataItem Dimensions=\"" << s.times.size() << " " << cells * nf
        << "\" NumberType=\"Float\" "
        << "Precision=\"8\" Format=\"HDF\">" << XmlEscape(h5_name) << ":" << XmlEscape(s.dataset)
        << "</DataItem>\n";
    }
    x << "   </DataItem>\n  </Attribute>\n";
  }
  x << " </Grid>\n";
}

}  // namespace

PetscErrorCode WriteXdmf(MPI_Comm comm, const std::string& xmf_path, const std::string& h5_name,
                         const GridGeometry& geo_in, const std::vector<XdmfSeries>& series) {
  PetscFunctionBeginUser;
  GridGeometry geo = geo_in;
  geo.Complete();
  const size_t dim = geo.cells.size();
  PetscCheck(dim >= 1 && dim <= 3, comm, PETSC_ERR_SUP,
             "XDMF output: %zu-D grids are not supported (1-D to 3-D)", dim);
  int rank;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  int ok = 1;
  if (rank == 0) {
    const XdmfMesh mesh = MeshOf(geo);
    std::ostringstream x;
    x.precision(17);
    x << "<?xml version=\"1.0\" ?>\n";
    std::string facts = ProvenanceComment("  ");  // what made the data (core/provenance.hpp)
    for (size_t p = facts.find("--"); p != std::string::npos; p = facts.find("--", p))
      facts.replace(p, 2, "- -");
    x << "<!-- written by\n" << facts << "-->\n<Xdmf Version=\"2.0\">\n<Domain>\n";
    for (const auto& s : series) {
      x << "<Grid Name=\"" << XmlEscape(s.name)
        << "\" GridType=\"Collection\" CollectionType=\"Temporal\">\n";
      for (size_t k = 0; k < s.times.size(); ++k) XdmfTimeGrid(x, mesh, geo, s, k, h5_name);
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
