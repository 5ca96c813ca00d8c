variable "environment" {
  description = "Deployment environment (dev, staging, prod)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the instances."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR of the VPC; the load balancer in it reaches the service on 8000."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets the instances are spread over."
  type        = list(string)
}

variable "bastion_cidr" {
  description = "CIDR of the bastion hosts allowed to SSH in (Ansible)."
  type        = string
}

variable "gpu_backend_count" {
  description = "Number of GPU VMs (0 when the GPU service runs on EKS only)."
  type        = number
  default     = 2
}

variable "gpu_instance_type" {
  description = "GPU instance type for the OCR backend."
  type        = string
  default     = "g5.2xlarge" # NVIDIA A10G, 24 GB VRAM
}

variable "document_bucket_arns" {
  description = "ARNs of the document buckets the service reads and writes."
  type        = list(string)
}
