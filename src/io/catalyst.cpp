// ParaView Catalyst adaptor (legacy vtkCPProcessor API).  See catalyst.hpp.
#include "udeflow/io/catalyst.hpp"

#include <petscdmda.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <sstream>
#include <vector>

#include "udeflow/config.hpp"
#include "udeflow/core/log.hpp"
#include "udeflow/core/options.hpp"

#if UDEFLOW_HAVE_CATALYST
#include <vtkCPDataDescription.h>
#include <vtkCPInputDataDescription.h>
#include <vtkCPPipeline.h>
#include <vtkCPProcessor.h>
#include <vtkCPPythonPipeline.h>
#include <vtkCellData.h>
#include <vtkDoubleArray.h>
#include <vtkFieldData.h>
#include <vtkImageData.h>
#include <vtkMPI.h>
#include <vtkMultiProcessController.h>
#include <vtkNew.h>
#include <vtkObjectFactory.h>
#include <vtkSmartPointer.h>
#include <vtkStringArray.h>
#include <vtkTrivialProducer.h>
#include <vtkXMLPImageDataWriter.h>
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
  o->any = s1 || (s2 && o->vti) || s3 || s4;
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

// Built-in pipeline: the pieces as a parallel VTK image file, no Python needed.
class VtiPipeline : public vtkCPPipeline {
 public:
  static VtiPipeline* New();
  vtkTypeMacro(VtiPipeline, vtkCPPipeline);
  int RequestDataDescription(vtkCPDataDescription* dd) override {
    if (!dd->GetForceOutput() && dd->GetTimeStep() % every != 0) return 0;
    dd->GetInputDescriptionByName("input")->AllFieldsOn();
    dd->GetInputDescriptionByName("input")->GenerateMeshOn();
    return 1;
  }
  int CoProcess(vtkCPDataDescription* dd) override {
    vtkCPInputDataDescription* in = dd->GetInputDescriptionByName("input");
    vtkImageData* grid = vtkImageData::SafeDownCast(in->GetGrid());
    if (!grid) return 0;
    vtkStringArray* run = vtkStringArray::SafeDownCast(dd->GetUserData()->GetAbstractArray("run"));
    char name[64];
    std::snprintf(name, sizeof(name), "_%06lld.pvti", static_cast<long long>(dd->GetTimeStep()));
    const std::string file = output + "/" + (run ? run->GetValue(0) : std::string("run")) + name;
    vtkNew<vtkTrivialProducer> producer;
    producer->SetOutput(grid);
    producer->SetWholeExtent(in->GetWholeExtent());
    vtkNew<vtkXMLPImageDataWriter> writer;
    writer->SetInputConnection(producer->GetOutputPort());
    writer->SetController(controller);
    writer->SetNumberOfPieces(controller->GetNumberOfProcesses());
    writer->SetStartPiece(controller->GetLocalProcessId());
    writer->SetEndPiece(controller->GetLocalProcessId());
    writer->SetDataModeToAppended();
    writer->EncodeAppendedDataOff();
    writer->SetFileName(file.c_str());
    return writer->Write();
  }
  long long every = 1;
  std::string output;
  vtkMultiProcessController* controller = nullptr;
};
vtkStandardNewMacro(VtiPipeline);

}  // namespace

struct Catalyst::Impl {
  vtkSmartPointer<vtkCPProcessor> processor;
  vtkSmartPointer<vtkImageData> image;
  std::vector<vtkSmartPointer<vtkDoubleArray>> arrays;
  std::vector<std::vector<double>> buffers;
  MPI_Comm vtk_comm = MPI_COMM_NULL;
  ~Impl() {
    if (processor) processor->Finalize();
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
  std::vector<std::string> scripts;
  {
    std::stringstream ss(o.scripts);
    std::string item;
    while (std::getline(ss, item, ','))
      if (!item.empty()) scripts.push_back(item);
  }
  for (const auto& s : scripts) {
    int readable = 0;
    if (FILE* fp = std::fopen(s.c_str(), "r")) {
      readable = 1;
      std::fclose(fp);
    }
    PetscCheck(readable, comm, PETSC_ERR_FILE_OPEN, "option -catalyst_script: cannot read '%s'",
               s.c_str());
  }
  if (scripts.empty())
    o.vti = PETSC_TRUE;  // only -catalyst_every/-catalyst_output: the built-in pipeline
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

  c->impl_ = std::make_unique<Impl>();
  Impl& m = *c->impl_;
  PetscCallMPI(MPI_Comm_dup(comm, &m.vtk_comm));
  m.processor = vtkSmartPointer<vtkCPProcessor>::New();
  vtkMPICommunicatorOpaqueComm opaque(&m.vtk_comm);
  PetscCheck(m.processor->Initialize(opaque) == 1, comm, PETSC_ERR_LIB,
             "ParaView Catalyst failed to initialize");
  if (o.vti) {
    vtkNew<VtiPipeline> p;
    p->every = o.every;
    p->output = o.output;
    p->controller = vtkMultiProcessController::GetGlobalController();
    PetscCheck(p->controller, comm, PETSC_ERR_LIB, "ParaView Catalyst has no MPI controller");
    m.processor->AddPipeline(p);
  }
  for (const auto& s : scripts) {
    vtkSmartPointer<vtkCPPythonPipeline> p =
        vtkCPPythonPipeline::CreateAndInitializePipeline(s.c_str());
    PetscCheck(p, comm, PETSC_ERR_USER_INPUT,
               "option -catalyst_script: ParaView could not load the pipeline '%s'", s.c_str());
    m.processor->AddPipeline(p);
  }
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
  vtkNew<vtkCPDataDescription> dd;
  dd->AddInput("input");
  dd->SetTimeData(static_cast<double>(t), static_cast<vtkIdType>(step));
  dd->SetForceOutput(force);
  vtkNew<vtkFieldData> user;
  vtkNew<vtkStringArray> run, outdir;
  run->SetName("run");
  run->InsertNextValue(run_);
  outdir->SetName("output");
  outdir->InsertNextValue(output_);
  user->AddArray(run);
  user->AddArray(outdir);
  dd->SetUserData(user);
  if (m.processor->RequestDataDescription(dd) != 0) {
    PetscInt dim, M, N, P, dof, xs, ys, zs, xm, ym, zm;
    PetscCall(DMDAGetInfo(da, &dim, &M, &N, &P, nullptr, nullptr, nullptr, &dof, nullptr, nullptr,
                          nullptr, nullptr, nullptr));
    PetscCall(DMDAGetCorners(da, &xs, &ys, &zs, &xm, &ym, &zm));
    // Cells [xs, xs+xm) are points [xs, xs+xm] of the image; unused dimensions are flat.
    int whole[6] = {0, (int)M, 0, dim > 1 ? (int)N : 0, 0, dim > 2 ? (int)P : 0};
    int ext[6] = {(int)xs,
                  (int)(xs + xm),
                  dim > 1 ? (int)ys : 0,
                  dim > 1 ? (int)(ys + ym) : 0,
                  dim > 2 ? (int)zs : 0,
                  dim > 2 ? (int)(zs + zm) : 0};
    if (!m.image) m.image = vtkSmartPointer<vtkImageData>::New();
    m.image->Initialize();
    m.image->SetExtent(ext);
    double origin[3] = {0, 0, 0}, spacing[3] = {1, 1, 1};
    for (PetscInt d = 0; d < dim && d < 3; ++d) {
      origin[d] = geo.origin[d];
      spacing[d] = geo.Spacing(d);
    }
    if (dim == 1) spacing[1] = spacing[2] = spacing[0];
    if (dim == 2) spacing[2] = std::min(spacing[0], spacing[1]);
    m.image->SetOrigin(origin);
    m.image->SetSpacing(spacing);
    const PetscInt ncells = xm * (dim > 1 ? ym : 1) * (dim > 2 ? zm : 1);
    const PetscScalar* a;
    PetscCall(VecGetArrayRead(u, &a));
    m.arrays.resize(dof);
    m.buffers.resize(dof);
    for (PetscInt f = 0; f < dof; ++f) {
      if (!m.arrays[f]) m.arrays[f] = vtkSmartPointer<vtkDoubleArray>::New();
      vtkDoubleArray* arr = m.arrays[f];
      arr->SetName(f < (PetscInt)geo.fields.size() ? geo.fields[f].c_str()
                                                   : ("u" + std::to_string(f)).c_str());
      if (dof == 1) {
        // Zero-copy: the local piece of a global DMDA vector is in VTK's cell order.
        arr->SetArray(const_cast<double*>(a), ncells, 1);
      } else {
        auto& b = m.buffers[f];
        b.resize(ncells);
        for (PetscInt i = 0; i < ncells; ++i) b[i] = a[i * dof + f];
        arr->SetArray(b.data(), ncells, 1);
      }
      m.image->GetCellData()->AddArray(arr);
    }
    vtkCPInputDataDescription* in = dd->GetInputDescriptionByName("input");
    in->SetGrid(m.image);
    in->SetWholeExtent(whole);
    const int ok = m.processor->CoProcess(dd);
    m.image->GetCellData()->Initialize();  // drop the references to the Vec's array
    PetscCall(VecRestoreArrayRead(u, &a));
    PetscCheck(ok, comm_, PETSC_ERR_LIB, "ParaView Catalyst pipeline failed at step %" PetscInt_FMT,
               step);
    ++executions_;
  }
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
