variable "environment" {
  description = "Deployment environment (dev, staging, prod)."
  type        = string
}

variable "database_connection" {
  description = "Connection details of the database module: the services' DATABASE_URL (url, the app role, with app_username and app_password for the grants) and the migrations' (migrate_url, the master user)."
  type = object({
    username     = string
    password     = string
    host         = string
    port         = number
    dbname       = string
    app_username = string
    app_password = string
    url          = string
    migrate_url  = string
  })
  sensitive = true
}

variable "redis_connection" {
  description = "The application's REDIS_URL (url: rediss:// with the AUTH token), and its address and password."
  type = object({
    url      = string
    address  = string
    password = string
  })
  sensitive = true
}

variable "huggingface_token" {
  description = "Token an operator uses to fill the model cache; the pods themselves run offline."
  type        = string
  default     = ""
  sensitive   = true
}
