output "primary_endpoint" {
  description = "Host name of the primary Redis node."
  value       = aws_elasticache_replication_group.redis.primary_endpoint_address
}

output "replication_group_id" {
  description = "ID of the replication group, for alarms."
  value       = aws_elasticache_replication_group.redis.id
}

output "redis_connection" {
  # KEDA's redis scaler takes the address and the password apart; it does not read a URL.
  description = "The application's REDIS_URL (url: TLS and the AUTH token), and its address and password."
  value = {
    url      = "rediss://:${random_password.redis_password.result}@${local.redis_address}/0"
    address  = local.redis_address
    password = random_password.redis_password.result
  }
  sensitive = true
}
