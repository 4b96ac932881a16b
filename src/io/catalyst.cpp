// ParaView Catalyst adaptor (legacy vtkCPProcessor API).  See catalyst.hpp.
#include "udeflow/io/catalyst.hpp"

#include <petscdmda.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <vector>

#include "udeflow/config.hpp"
#include "udeflow/core/log.hpp"
#include "udeflow/core/options.hpp"

#if UDEFLOW_HAVE_CATALYST
#include <dlfcn.h>
#include <unistd.h>

#include "../insitu/catalyst_module.h"
#endif

namespace udeflow::io {

namespace {

struct CatalystOptions {
  std::string scripts, output = "catalyst";
  PetscInt every = 1;
  PetscBool vti = PETSC_FALSE;
  bool any = false;
};

PetscErrorCode ReadCatalystOptions(MPI_Comm comm, CatalystOptions* o) {
  PetscFunctionBeginUser;
  PetscBool s1 = PETSC_FALSE, s2 = PETSC_FALSE, s3 = PETSC_FALSE, s4 = PETSC_FALSE;
  PetscOptionsBegin(comm, nullptr, "In-situ visualization (ParaView Catalyst)", "catalyst");
  PetscCall(UdeOptionsString("-catalyst_script",
                             "ParaView Catalyst Python pipeline(s), comma-separated", &o->scripts,
                             &s1));
  PetscCall(PetscOptionsBool("-catalyst_vti",
                             "Built-in Catalyst pipeline: write the pieces as .pvti/.vti", "",
                             o->vti, &o->vti, &s2));
  PetscCall(UdeOptionsPositiveInt("-catalyst_every",
                                  "Run the Catalyst pipelines every K time steps", &o->every, &s3));
  PetscCall(UdeOptionsString("-catalyst_output", "Directory for Catalyst output", &o->output, &s4));
  PetscOptionsEnd();
  o->any = s1 || (s2 && o->vti) || s3;  // -catalyst_output alone only names a directory
  const char* given = s1   ? "-catalyst_script"
                      : s2 ? "-catalyst_vti"
                      : s3 ? "-catalyst_every"
                           : "-catalyst_output";
#if !UDEFLOW_HAVE_CATALYST
  PetscCheck(!o->any, comm, PETSC_ERR_SUP,
             "option %s: udeflow was built without ParaView Catalyst (install paraview-dev and "
             "rebuild with "
             "-DUDEFLOW_WITH_CATALYST=ON); write fields to HDF5/XDMF instead",
             given);
#else
  (void)given;
#endif
  PetscFunctionReturn(0);
}

}  // namespace

PetscErrorCode CatalystFromOptions(MPI_Comm comm, std::string* script) {
  PetscFunctionBeginUser;
  CatalystOptions o;
  PetscCall(ReadCatalystOptions(comm, &o));
  *script = o.scripts;
  PetscFunctionReturn(0);
}

#if UDEFLOW_HAVE_CATALYST

namespace {

std::string ExecutableDir() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return ".";
  buf[n] = '\0';
  std::string p(buf);
  const size_t slash = p.find_last_of('/');
  return slash == std::string::npos ? "." : p.substr(0, slash);
}

// The Catalyst module: $UDEFLOW_CATALYST_MODULE, next to the program (build tree),
// <prefix>/<libdir>/udeflow (install tree), the build tree's path, or the loader's path.
void* LoadModule(std::string* tried, std::string* last_error) {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("UDEFLOW_CATALYST_MODULE")) candidates.push_back(env);
  const std::string exe = ExecutableDir();
  candidates.push_back(exe + "/libudeflow_catalyst.so");
  candidates.push_back(exe + "/../" UDEFLOW_CATALYST_MODULE_RELDIR "/libudeflow_catalyst.so");
  candidates.push_back(UDEFLOW_CATALYST_MODULE_BUILD);
  candidates.push_back("libudeflow_catalyst.so");
  for (const auto& c : candidates) {
    if (c.find('/') != std::string::npos && access(c.c_str(), R_OK) != 0) continue;
    *tried += (tried->empty() ? "" : ", ") + c;
    if (void* h = dlopen(c.c_str(), RTLD_NOW | RTLD_GLOBAL)) return h;
    const char* e = dlerror();
    *last_error = e ? e : "unknown error";
  }
  return nullptr;
}

}  // namespace

struct Catalyst::Impl {
  void* lib = nullptr;
  void* handle = nullptr;
  ude_catalyst_execute_fn execute = nullptr;
  ude_catalyst_destroy_fn destroy = nullptr;
  std::vector<std::string> names;
  std::vector<const char*> name_ptrs;
  ~Impl() {
    if (handle && destroy) destroy(handle);
    // The module stays loaded: VTK registers static state that must outlive this object.
  }
};

Catalyst::~Catalyst() = default;

PetscErrorCode Catalyst::Create(MPI_Comm comm, std::unique_ptr<Catalyst>* out) {
  PetscFunctionBeginUser;
  out->reset();
  CatalystOptions o;
  PetscCall(ReadCatalystOptions(comm, &o));
  PetscBool help;
  PetscCall(PetscOptionsHasHelp(nullptr, &help));
  if (!o.any || help) PetscFunctionReturn(0);
  std::unique_ptr<Catalyst> c(new Catalyst());
  c->comm_ = comm;
  c->output_ = o.output;
  c->every_ = o.every;
  bool scripts = false;
  {
    std::stringstream ss(o.scripts);
    std::string item;
    while (std::getline(ss, item, ',')) {
      if (item.empty()) continue;
      scripts = true;
      const int readable = access(item.c_str(), R_OK) == 0;
      PetscCheck(readable, comm, PETSC_ERR_FILE_OPEN, "option -catalyst_script: cannot read '%s'",
                 item.c_str());
    }
  }
  if (!scripts) o.vti = PETSC_TRUE;  // only -catalyst_every: the built-in pipeline
  // Output directory (rank 0), before any pipeline writes.
  int rank, ok = 1;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    std::string partial;
    for (size_t i = 0; i <= o.output.size(); ++i) {
      if (i == o.output.size() || o.output[i] == '/') {
        partial = o.output.substr(0, i);
        if (!partial.empty() && mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) ok = 0;
      }
    }
  }
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, comm));
  PetscCheck(ok, comm, PETSC_ERR_FILE_OPEN, "option -catalyst_output: cannot create directory '%s'",
             o.output.c_str());

  static int sessions = 0;  // ParaView's vtkCPProcessor cannot be initialized twice in a process
  PetscCheck(sessions++ == 0, comm, PETSC_ERR_SUP,
             "ParaView Catalyst: only one Catalyst session per process");
  c->impl_ = std::make_unique<Impl>();
  Impl& m = *c->impl_;
  std::string tried, dl_error;
  m.lib = LoadModule(&tried, &dl_error);
  int loaded = m.lib != nullptr, all = 0;
  PetscCallMPI(MPI_Allreduce(&loaded, &all, 1, MPI_INT, MPI_MIN, comm));
  PetscCheck(all, comm, PETSC_ERR_LIB,
             "ParaView Catalyst: cannot load udeflow's Catalyst module (tried %s: %s); set "
             "UDEFLOW_CATALYST_MODULE",
             tried.c_str(), dl_error.c_str());
  auto abi = reinterpret_cast<ude_catalyst_abi_fn>(dlsym(m.lib, "ude_catalyst_abi"));
  auto create = reinterpret_cast<ude_catalyst_create_fn>(dlsym(m.lib, "ude_catalyst_create"));
  m.execute = reinterpret_cast<ude_catalyst_execute_fn>(dlsym(m.lib, "ude_catalyst_execute"));
  m.destroy = reinterpret_cast<ude_catalyst_destroy_fn>(dlsym(m.lib, "ude_catalyst_destroy"));
  PetscCheck(abi && create && m.execute && m.destroy && abi() == UDE_CATALYST_ABI, comm,
             PETSC_ERR_LIB, "ParaView Catalyst: the module found (%s) does not match this udeflow",
             tried.c_str());
  char err[512] = "";
  m.handle =
      create(comm, o.scripts.c_str(), o.vti ? 1 : 0, o.every, o.output.c_str(), err, sizeof(err));
  int created = m.handle != nullptr;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &created, 1, MPI_INT, MPI_MIN, comm));
  PetscCheck(created, comm, PETSC_ERR_USER_INPUT, "%s",
             err[0] ? err : "ParaView Catalyst failed on another rank");
  *out = std::move(c);
  PetscFunctionReturn(0);
}

PetscErrorCode Catalyst::Execute(DM da, const GridGeometry& geo_in, PetscInt step, PetscReal t,
                                 Vec u, bool force) {
  PetscFunctionBeginUser;
  if (!impl_) PetscFunctionReturn(0);
  if (!force && step % every_ != 0) PetscFunctionReturn(0);
  Impl& m = *impl_;
  PetscLogDouble t0, t1;
  PetscCall(PetscTime(&t0));
  PetscCall(PetscLogEventBegin(LogEvents::catalyst, 0, 0, 0, 0));
  GridGeometry geo = geo_in;
  geo.Complete();
  PetscInt dim, M, N, P, dof, xs, ys, zs, xm, ym, zm;
  PetscCall(DMDAGetInfo(da, &dim, &M, &N, &P, nullptr, nullptr, nullptr, &dof, nullptr, nullptr,
                        nullptr, nullptr, nullptr));
  PetscCall(DMDAGetCorners(da, &xs, &ys, &zs, &xm, &ym, &zm));
  ude_catalyst_piece p = {};
  p.dim = static_cast<int>(dim);
  p.dof = static_cast<int>(dof);
  const PetscInt sizes[3] = {M, N, P}, lo[3] = {xs, ys, zs}, cnt[3] = {xm, ym, zm};
  PetscReal hmin = geo.Spacing(0);
  for (PetscInt d = 1; d < dim; ++d) hmin = std::min(hmin, geo.Spacing(d));
  for (int d = 0; d < 3; ++d) {
    p.whole[d] = d < dim ? (int)sizes[d] : 0;
    p.lo[d] = d < dim ? (int)lo[d] : 0;
    p.hi[d] = d < dim ? (int)(lo[d] + cnt[d]) : 0;
    p.origin[d] = d < dim ? geo.origin[d] : 0.0;
    p.spacing[d] = d < dim ? geo.Spacing(d) : hmin;
  }
  if (m.names.size() != (size_t)dof) {
    m.names.resize(dof);
    m.name_ptrs.resize(dof);
  }
  for (PetscInt f = 0; f < dof; ++f) {
    m.names[f] = f < (PetscInt)geo.fields.size() ? geo.fields[f] : "u" + std::to_string(f);
    m.name_ptrs[f] = m.names[f].c_str();
  }
  p.names = m.name_ptrs.data();
  p.step = step;
  p.time = t;
  p.force = force;
  p.run = run_.c_str();
  p.output = output_.c_str();
  const PetscScalar* a;
  PetscCall(VecGetArrayRead(u, &a));
  p.values = a;
  const int r = m.execute(m.handle, &p);
  PetscCall(VecRestoreArrayRead(u, &a));
  PetscCheck(r >= 0, comm_, PETSC_ERR_LIB,
             "ParaView Catalyst pipeline failed at step %" PetscInt_FMT, step);
  if (r > 0) ++executions_;
  PetscCall(PetscLogEventEnd(LogEvents::catalyst, 0, 0, 0, 0));
  PetscCall(PetscTime(&t1));
  seconds_ += t1 - t0;
  PetscFunctionReturn(0);
}

#else  // !UDEFLOW_HAVE_CATALYST

struct Catalyst::Impl {};
Catalyst::~Catalyst() = default;

PetscErrorCode Catalyst::Create(MPI_Comm comm, std::unique_ptr<Catalyst>* out) {
  PetscFunctionBeginUser;
  out->reset();
  CatalystOptions o;
  PetscCall(ReadCatalystOptions(comm, &o));  // refuses any Catalyst option
  PetscFunctionReturn(0);
}

PetscErrorCode Catalyst::Execute(DM, const GridGeometry&, PetscInt, PetscReal, Vec, bool) {
  return 0;
}

#endif

PetscErrorCode Catalyst::Report(double total_seconds) const {
  PetscFunctionBeginUser;
  double mine = seconds_, most = 0;
  PetscCallMPI(MPI_Allreduce(&mine, &most, 1, MPI_DOUBLE, MPI_MAX, comm_));
  PetscCall(PetscPrintf(
      comm_,
      "catalyst: %ld steps processed in %.3f s = %.1f%% of the run's %.2f s (output in %s)\n",
      executions_, most, total_seconds > 0 ? 100.0 * most / total_seconds : 0.0, total_seconds,
      output_.c_str()));
  PetscFunctionReturn(0);
}

}  // namespace udeflow::io
