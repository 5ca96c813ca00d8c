variable "environment" {
  description = "Deployment environment (dev, staging, prod)."
  type        = string
}

variable "database_connection" {
  description = "Connection details of the database module, including the application's DATABASE_URL (url)."
  type = object({
    username = string
    password = string
    host     = string
    port     = number
    dbname   = string
    url      = string
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
