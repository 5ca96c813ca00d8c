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

module "platform" {
  source = "../../modules/platform"

  environment = var.environment

  vpc_cidr                = "10.20.0.0/16"
  availability_zones      = ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
  gpu_node_count          = { min = 1, desired = 2, max = 2 }
  cpu_node_count          = { min = 2, desired = 3, max = 6 }
  gpu_backend_count       = 0
  cpu_vm_min_size         = 1
  cpu_vm_desired_capacity = 1
  db_instance_class       = "db.r6g.large"
  redis_node_type         = "cache.r6g.large"

  github_repository = var.github_repository
  bastion_cidr      = var.bastion_cidr
  certificate_arn   = var.certificate_arn
  alarm_email       = var.alarm_email
  huggingface_token = var.huggingface_token
}
