# FindCatalyst: ParaView's legacy Catalyst (vtkCPProcessor) from Debian's paraview-dev.
# Debian's ParaViewConfig.cmake pulls in many optional packages; linking the few
# Catalyst libraries directly is more robust.  Defines Catalyst::Catalyst.
find_path(Catalyst_INCLUDE_DIR vtkCPProcessor.h PATH_SUFFIXES paraview-5.11 paraview)
set(_libs)
foreach(lib vtkPVPythonCatalyst vtkPVCatalyst vtkPVVTKExtensionsCore vtkRemotingCore
            vtkCommonCore vtkCommonDataModel vtkParallelMPI vtkParallelCore vtkPVInSitu
            vtkRemotingServerManager vtkRemotingClientServerStream vtkCommonExecutionModel)
  find_library(Catalyst_${lib}_LIBRARY NAMES ${lib}-pv5.11 ${lib})
  if(Catalyst_${lib}_LIBRARY)
    list(APPEND _libs ${Catalyst_${lib}_LIBRARY})
  endif()
endforeach()
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Catalyst REQUIRED_VARS Catalyst_INCLUDE_DIR Catalyst_vtkPVCatalyst_LIBRARY)
if(Catalyst_FOUND AND NOT TARGET Catalyst::Catalyst)
  add_library(Catalyst::Catalyst INTERFACE IMPORTED)
  set_target_properties(Catalyst::Catalyst PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${Catalyst_INCLUDE_DIR}"
                        INTERFACE_LINK_LIBRARIES "${_libs}")
endif()
