variable "environment" {
  description = "Deployment environment (dev, staging, prod); modules/platform validates it"
  type        = string
  default     = "prod"
}

variable "aws_region" {
  description = "AWS region"
  type        = string
  default     = "eu-central-1"
}

variable "vault_address" {
  description = "Address of the Vault server that keeps the application's secrets."
  type        = string
}

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
  default     = ""
}

variable "huggingface_token" {
  description = "Token for filling the model cache, stored in Vault; never used by the pods."
  type        = string
  default     = ""
  sensitive   = true
}
