provider "aws" {
  region = var.aws_region

  default_tags {
    tags = {
      Project     = "Ablage-System"
      Environment = var.environment
      ManagedBy   = "Terraform"
      CostCenter  = "Engineering"
      Owner       = "platform-team"
    }
  }
}

# Authentication comes from the environment (VAULT_TOKEN or a login method), never from this file.
provider "vault" {
  address = var.vault_address
}

module "networking" {
  source = "../../modules/networking"

  environment        = var.environment
  vpc_cidr           = "10.0.0.0/16"
  availability_zones = ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
}

module "storage" {
  source = "../../modules/storage"

  environment = var.environment
}

module "eks" {
  source = "../../modules/eks"

  environment          = var.environment
  vpc_id               = module.networking.vpc_id
  private_subnet_ids   = module.networking.private_subnet_ids
  gpu_node_count       = { min = 2, desired = 2, max = 4 }
  cpu_node_count       = { min = 3, desired = 3, max = 12 }
  document_bucket_arns = values(module.storage.bucket_arns)
  github_repository    = var.github_repository
}

# VMs for the Ansible path (deploy/ansible); the same service, for hosts outside the cluster.
module "gpu_compute" {
  source = "../../modules/gpu_compute"

  environment          = var.environment
  vpc_id               = module.networking.vpc_id
  vpc_cidr             = module.networking.vpc_cidr
  subnet_ids           = module.networking.private_subnet_ids
  bastion_cidr         = var.bastion_cidr
  gpu_backend_count    = 2
  document_bucket_arns = values(module.storage.bucket_arns)
}

module "cpu_compute" {
  source = "../../modules/cpu_compute"

  environment          = var.environment
  vpc_id               = module.networking.vpc_id
  vpc_cidr             = module.networking.vpc_cidr
  subnet_ids           = module.networking.private_subnet_ids
  bastion_cidr         = var.bastion_cidr
  certificate_arn      = var.certificate_arn
  min_size             = 2
  desired_capacity     = 3
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
  source = "../../modules/database"

  environment            = var.environment
  vpc_id                 = module.networking.vpc_id
  private_subnet_ids     = module.networking.private_subnet_ids
  app_security_group_ids = local.app_security_group_ids
  db_instance_class      = "db.r6g.2xlarge"
}

module "cache" {
  source = "../../modules/cache"

  environment            = var.environment
  vpc_id                 = module.networking.vpc_id
  private_subnet_ids     = module.networking.private_subnet_ids
  app_security_group_ids = local.app_security_group_ids
  redis_node_type        = "cache.r6g.large"
}

module "secrets" {
  source = "../../modules/secrets"

  environment         = var.environment
  database_connection = module.database.connection
  redis_url           = module.cache.redis_url
  huggingface_token   = var.huggingface_token
}

module "monitoring" {
  source = "../../modules/monitoring"

  environment                = var.environment
  db_instance_id             = module.database.instance_id
  redis_replication_group_id = module.cache.replication_group_id
  alarm_email                = var.alarm_email
}
