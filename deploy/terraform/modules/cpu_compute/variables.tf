variable "environment" {
  description = "Deployment environment (dev, staging, prod)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the instances and the load balancer."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR of the VPC; clients inside it reach the internal load balancer."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets for the instances and the internal load balancer."
  type        = list(string)
}

variable "bastion_cidr" {
  description = "CIDR of the bastion hosts allowed to SSH in (Ansible)."
  type        = string
}

variable "cpu_instance_type" {
  description = "CPU instance type for the CPU backend."
  type        = string
  default     = "c6i.4xlarge" # 16 vCPUs, 32 GB RAM
}

variable "min_size" {
  description = "Fewest CPU VMs."
  type        = number
  default     = 2
}

variable "max_size" {
  description = "Most CPU VMs."
  type        = number
  default     = 10
}

variable "desired_capacity" {
  description = "CPU VMs at creation; scaling policies move it afterwards."
  type        = number
  default     = 3
}

variable "certificate_arn" {
  description = "ACM certificate of the load balancer's HTTPS listener."
  type        = string
}

variable "document_bucket_arns" {
  description = "ARNs of the document buckets the service reads and writes."
  type        = list(string)
}
