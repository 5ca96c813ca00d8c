variable "environment" {
  description = "Deployment environment (dev, staging, prod)."
  type        = string
}

variable "vpc_id" {
  description = "VPC the database lives in."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets for the DB subnet group."
  type        = list(string)
}

variable "app_security_group_ids" {
  description = "Security groups of the application (EKS nodes, VMs) that may connect on 5432."
  type        = list(string)
}

variable "db_instance_class" {
  description = "RDS PostgreSQL instance class."
  type        = string
  default     = "db.r6g.2xlarge" # 8 vCPUs, 64 GB RAM
}

variable "allocated_storage" {
  description = "Storage in GB."
  type        = number
  default     = 500
}
