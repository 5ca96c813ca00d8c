variable "environment" {
  description = "Deployment environment (dev, staging, prod)"
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "Environment must be dev, staging, or prod."
  }
}

# Sizes and counts, set by each environment.

variable "vpc_cidr" {
  description = "CIDR block of the environment's VPC."
  type        = string
}

variable "availability_zones" {
  description = "Availability zones of the subnets, one public and one private subnet each."
  type        = list(string)
}

variable "gpu_node_count" {
  description = "Minimum, desired and maximum GPU nodes of the EKS cluster."
  type        = object({ min = number, desired = number, max = number })
}

variable "cpu_node_count" {
  description = "Minimum, desired and maximum CPU nodes of the EKS cluster."
  type        = object({ min = number, desired = number, max = number })
}

variable "gpu_backend_count" {
  description = "Number of GPU VMs for the Ansible path (0 when the GPU service runs on EKS only)."
  type        = number
}

variable "cpu_vm_min_size" {
  description = "Fewest CPU VMs for the Ansible path."
  type        = number
}

variable "cpu_vm_desired_capacity" {
  description = "CPU VMs for the Ansible path at creation; scaling policies move it afterwards."
  type        = number
}

variable "db_instance_class" {
  description = "RDS PostgreSQL instance class."
  type        = string
}

variable "redis_node_type" {
  description = "ElastiCache Redis node type."
  type        = string
}

# Inputs of the environment root, passed through.

variable "github_repository" {
  description = "owner/name of the GitHub repository whose deploy workflow may update this cluster."
  type        = string
}

variable "bastion_cidr" {
  description = "CIDR of the bastion hosts allowed to SSH to the VMs."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate of the CPU VMs' load balancer."
  type        = string
}

variable "alarm_email" {
  description = "Address that receives alarm notifications; empty for none."
  type        = string
}

variable "huggingface_token" {
  description = "Token for filling the model cache, stored in Vault; never used by the pods."
  type        = string
  sensitive   = true
}
