# States that hold these modules at the root move into module.platform on the next plan instead of being replaced.
moved {
  from = module.networking
  to   = module.platform.module.networking
}

moved {
  from = module.storage
  to   = module.platform.module.storage
}

moved {
  from = module.eks
  to   = module.platform.module.eks
}

moved {
  from = module.gpu_compute
  to   = module.platform.module.gpu_compute
}

moved {
  from = module.cpu_compute
  to   = module.platform.module.cpu_compute
}

moved {
  from = module.database
  to   = module.platform.module.database
}

moved {
  from = module.cache
  to   = module.platform.module.cache
}

moved {
  from = module.secrets
  to   = module.platform.module.secrets
}

moved {
  from = module.monitoring
  to   = module.platform.module.monitoring
}
