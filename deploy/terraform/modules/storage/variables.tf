variable "environment" {
  description = "Deployment environment (dev, staging, prod); the buckets are named ablage-<area>-<environment>."
  type        = string
}
