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
  description = "Connection details: the services' DATABASE_URL (url, the app role) and the migrations' (migrate_url, the master user)."
  value       = local.connection
  sensitive   = true
}
