output "primary_endpoint" {
  description = "Host name of the primary Redis node."
  value       = aws_elasticache_replication_group.redis.primary_endpoint_address
}

output "replication_group_id" {
  description = "ID of the replication group, for alarms."
  value       = aws_elasticache_replication_group.redis.id
}

output "redis_url" {
  description = "The application's REDIS_URL: TLS and the AUTH token."
  value       = "rediss://:${random_password.redis_password.result}@${aws_elasticache_replication_group.redis.primary_endpoint_address}:6379/0"
  sensitive   = true
}
