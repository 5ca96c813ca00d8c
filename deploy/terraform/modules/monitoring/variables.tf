variable "environment" {
  description = "Deployment environment (dev, staging, prod)."
  type        = string
}

variable "db_instance_id" {
  description = "RDS instance to alarm on."
  type        = string
}

variable "redis_replication_group_id" {
  description = "ElastiCache replication group to alarm on."
  type        = string
}

variable "alarm_email" {
  description = "Address that receives alarm notifications; empty for none."
  type        = string
  default     = ""
}

variable "log_retention_days" {
  description = "Days the application's logs are kept."
  type        = number
  default     = 365
}
