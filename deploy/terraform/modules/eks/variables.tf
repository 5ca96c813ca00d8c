variable "environment" {
  description = "Deployment environment (dev, staging, prod)."
  type        = string
}

variable "kubernetes_version" {
  description = "Kubernetes version of the EKS control plane; the manifests are validated against it."
  type        = string
  default     = "1.33"
}

variable "vpc_id" {
  description = "VPC of the cluster."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets for the nodes, the control plane's interfaces and the EFS mount targets."
  type        = list(string)
}

variable "gpu_instance_type" {
  description = "Instance type of the GPU node group."
  type        = string
  default     = "g5.2xlarge" # NVIDIA A10G, 24 GB VRAM
}

variable "cpu_instance_type" {
  description = "Instance type of the CPU node group."
  type        = string
  default     = "c6i.4xlarge" # 16 vCPUs, 32 GB RAM
}

variable "gpu_node_count" {
  description = "Minimum, desired and maximum GPU nodes."
  type        = object({ min = number, desired = number, max = number })
  default     = { min = 2, desired = 2, max = 4 }
}

variable "cpu_node_count" {
  description = "Minimum, desired and maximum CPU nodes (the HPAs scale pods, the cluster autoscaler nodes)."
  type        = object({ min = number, desired = number, max = number })
  default     = { min = 3, desired = 3, max = 12 }
}

variable "document_bucket_arns" {
  description = "ARNs of the document buckets the pods read and write."
  type        = list(string)
}

variable "github_repository" {
  description = "owner/name of the GitHub repository whose main branch may deploy (OIDC, no static keys)."
  type        = string
}
