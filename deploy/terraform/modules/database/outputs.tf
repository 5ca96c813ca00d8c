output "address" {
  description = "Host name of the PostgreSQL instance."
  value       = aws_db_instance.postgres.address
}

output "instance_id" {
  description = "Identifier of the RDS instance, for alarms."
  value       = aws_db_instance.postgres.identifier
}

output "secret_arn" {
  description = "Secrets Manager secret with the connection details."
  value       = aws_secretsmanager_secret.db_password.arn
}

output "connection" {
  description = "Connection details including the application's DATABASE_URL (url)."
  value       = local.connection
  sensitive   = true
}
