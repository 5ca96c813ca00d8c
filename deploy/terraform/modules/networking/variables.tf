variable "environment" {
  description = "Deployment environment (dev, staging, prod); part of every name."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC; public and private subnets are carved from it."
  type        = string
}

variable "availability_zones" {
  description = "Availability zones to spread the subnets over, one public and one private subnet each."
  type        = list(string)
}

variable "flow_log_retention_days" {
  description = "Days the VPC flow logs are kept in CloudWatch."
  type        = number
  default     = 365
}
