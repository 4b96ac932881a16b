// The ParaView Catalyst module of udeflow (legacy vtkCPProcessor API, ParaView 5.x):
// vtkImageData pieces, the built-in .pvti writer pipeline, Python pipelines.  Loaded
// with dlopen by src/io/catalyst.cpp; see catalyst_module.h.
#include "catalyst_module.h"

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

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

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
    vtkNew<vtkTrivialProducer> producer;  // carries the whole extent to the writer
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

struct Module {
  vtkSmartPointer<vtkCPProcessor> processor;
  vtkSmartPointer<vtkImageData> image;
  std::vector<vtkSmartPointer<vtkDoubleArray>> arrays;
  std::vector<std::vector<double>> buffers;
  MPI_Comm comm = MPI_COMM_NULL;
};

}  // namespace

extern "C" {

int ude_catalyst_abi(void) {
  return UDE_CATALYST_ABI;
}

void* ude_catalyst_create(MPI_Comm comm, const char* scripts, int vti, long long every,
                          const char* output, char* err, int errlen) {
  auto* m = new Module();
  MPI_Comm_dup(comm, &m->comm);
  m->processor = vtkSmartPointer<vtkCPProcessor>::New();
  vtkMPICommunicatorOpaqueComm opaque(&m->comm);
  if (m->processor->Initialize(opaque) != 1) {
    std::snprintf(err, errlen, "ParaView Catalyst failed to initialize");
    delete m;
    return nullptr;
  }
  if (vti) {
    vtkNew<VtiPipeline> p;
    p->every = every;
    p->output = output;
    p->controller = vtkMultiProcessController::GetGlobalController();
    if (!p->controller) {
      std::snprintf(err, errlen, "ParaView Catalyst has no MPI controller");
      delete m;
      return nullptr;
    }
    m->processor->AddPipeline(p);
  }
  std::stringstream ss(scripts ? scripts : "");
  std::string s;
  while (std::getline(ss, s, ',')) {
    if (s.empty()) continue;
    vtkSmartPointer<vtkCPPythonPipeline> p =
        vtkCPPythonPipeline::CreateAndInitializePipeline(s.c_str());
    if (!p) {
      std::snprintf(err, errlen,
                    "option -catalyst_script: ParaView could not load the pipeline '%s'",
                    s.c_str());
      m->processor->Finalize();
      delete m;
      return nullptr;
    }
    m->processor->AddPipeline(p);
  }
  return m;
}

int ude_catalyst_execute(void* handle, const ude_catalyst_piece* p) {
  Module& m = *static_cast<Module*>(handle);
  vtkNew<vtkCPDataDescription> dd;
  dd->AddInput("input");
  dd->SetTimeData(p->time, static_cast<vtkIdType>(p->step));
  dd->SetForceOutput(p->force != 0);
  vtkNew<vtkFieldData> user;
  vtkNew<vtkStringArray> run, outdir;
  run->SetName("run");
  run->InsertNextValue(p->run);
  outdir->SetName("output");
  outdir->InsertNextValue(p->output);
  user->AddArray(run);
  user->AddArray(outdir);
  dd->SetUserData(user);
  if (m.processor->RequestDataDescription(dd) == 0) return 0;
  // Cells [lo, hi) are points [lo, hi] of the image; unused dimensions are flat.
  int whole[6] = {0, 0, 0, 0, 0, 0}, ext[6] = {0, 0, 0, 0, 0, 0};
  long long ncells = 1;
  for (int d = 0; d < p->dim && d < 3; ++d) {
    whole[2 * d + 1] = p->whole[d];
    ext[2 * d] = p->lo[d];
    ext[2 * d + 1] = p->hi[d];
    ncells *= p->hi[d] - p->lo[d];
  }
  if (!m.image) m.image = vtkSmartPointer<vtkImageData>::New();
  m.image->Initialize();
  m.image->SetExtent(ext);
  m.image->SetOrigin(p->origin[0], p->origin[1], p->origin[2]);
  m.image->SetSpacing(p->spacing[0], p->spacing[1], p->spacing[2]);
  m.arrays.resize(p->dof);
  m.buffers.resize(p->dof);
  for (int f = 0; f < p->dof; ++f) {
    if (!m.arrays[f]) m.arrays[f] = vtkSmartPointer<vtkDoubleArray>::New();
    vtkDoubleArray* arr = m.arrays[f];
    arr->SetName(p->names[f]);
    if (p->dof == 1) {
      // Zero-copy: the local piece of a global DMDA vector is in VTK's cell order.
      arr->SetArray(const_cast<double*>(p->values), ncells, 1);
    } else {
      auto& b = m.buffers[f];
      b.resize(ncells);
      for (long long i = 0; i < ncells; ++i) b[i] = p->values[i * p->dof + f];
      arr->SetArray(b.data(), ncells, 1);
    }
    m.image->GetCellData()->AddArray(arr);
  }
  vtkCPInputDataDescription* in = dd->GetInputDescriptionByName("input");
  in->SetGrid(m.image);
  in->SetWholeExtent(whole);
  const int ok = m.processor->CoProcess(dd);
  m.image->GetCellData()->Initialize();  // drop the references to the caller's array
  return ok ? 1 : -1;
}

void ude_catalyst_destroy(void* handle) {
  auto* m = static_cast<Module*>(handle);
  if (!m) return;
  m->processor->Finalize();
  m->processor = nullptr;
  m->image = nullptr;
  m->arrays.clear();
  if (m->comm != MPI_COMM_NULL) MPI_Comm_free(&m->comm);
  delete m;
}

}  // extern "C"
