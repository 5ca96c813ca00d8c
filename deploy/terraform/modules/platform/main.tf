# One environment of the platform: the network, the cluster, the VMs, the data stores, the secrets and the alarms,
# wired together. The environment roots configure the providers and the state backend and pass the sizes.

module "networking" {
  source = "../networking"

  environment        = var.environment
  vpc_cidr           = var.vpc_cidr
  availability_zones = var.availability_zones
}

module "storage" {
  source = "../storage"

  environment = var.environment
}

module "eks" {
  source = "../eks"

  environment          = var.environment
  vpc_id               = module.networking.vpc_id
  private_subnet_ids   = module.networking.private_subnet_ids
  gpu_node_count       = var.gpu_node_count
  cpu_node_count       = var.cpu_node_count
  document_bucket_arns = values(module.storage.bucket_arns)
  github_repository    = var.github_repository
}

# VMs for the Ansible path (deploy/ansible); the same service, for hosts outside the cluster.
module "gpu_compute" {
  source = "../gpu_compute"

  environment          = var.environment
  vpc_id               = module.networking.vpc_id
  vpc_cidr             = module.networking.vpc_cidr
  subnet_ids           = module.networking.private_subnet_ids
  bastion_cidr         = var.bastion_cidr
  gpu_backend_count    = var.gpu_backend_count
  document_bucket_arns = values(module.storage.bucket_arns)
}

module "cpu_compute" {
  source = "../cpu_compute"

  environment          = var.environment
  vpc_id               = module.networking.vpc_id
  vpc_cidr             = module.networking.vpc_cidr
  subnet_ids           = module.networking.private_subnet_ids
  bastion_cidr         = var.bastion_cidr
  certificate_arn      = var.certificate_arn
  min_size             = var.cpu_vm_min_size
  desired_capacity     = var.cpu_vm_desired_capacity
  document_bucket_arns = values(module.storage.bucket_arns)
}

locals {
  app_security_group_ids = [
    module.eks.node_security_group_id,
    module.gpu_compute.security_group_id,
    module.cpu_compute.security_group_id,
  ]
}

module "database" {
  source = "../database"

  environment            = var.environment
  vpc_id                 = module.networking.vpc_id
  private_subnet_ids     = module.networking.private_subnet_ids
  app_security_group_ids = local.app_security_group_ids
  db_instance_class      = var.db_instance_class
}

module "cache" {
  source = "../cache"

  environment            = var.environment
  vpc_id                 = module.networking.vpc_id
  private_subnet_ids     = module.networking.private_subnet_ids
  app_security_group_ids = local.app_security_group_ids
  redis_node_type        = var.redis_node_type
}

module "secrets" {
  source = "../secrets"

  environment         = var.environment
  database_connection = module.database.connection
  redis_connection    = module.cache.redis_connection
  huggingface_token   = var.huggingface_token
}

module "monitoring" {
  source = "../monitoring"

  environment                = var.environment
  db_instance_id             = module.database.instance_id
  redis_replication_group_id = module.cache.replication_group_id
  alarm_email                = var.alarm_email
}
