locals {
  prod          = var.environment == "prod"
  redis_address = "${aws_elasticache_replication_group.redis.primary_endpoint_address}:6379"
}

resource "aws_elasticache_replication_group" "redis" {
  replication_group_id = "ablage-redis-${var.environment}"
  description          = "Job queue of Ablage-System (${var.environment})"

  engine               = "redis"
  engine_version       = "7.1"
  parameter_group_name = "default.redis7"
  node_type            = var.redis_node_type
  num_cache_clusters   = local.prod ? 3 : 2
  port                 = 6379

  subnet_group_name  = aws_elasticache_subnet_group.redis.name
  security_group_ids = [aws_security_group.redis.id]

  # The application connects with rediss:// and the token (REDIS_URL).
  at_rest_encryption_enabled = true
  kms_key_id                 = aws_kms_key.redis.arn
  transit_encryption_enabled = true
  auth_token                 = random_password.redis_password.result

  automatic_failover_enabled = local.prod
  multi_az_enabled           = local.prod
  auto_minor_version_upgrade = true

  snapshot_retention_limit = local.prod ? 5 : 1
  snapshot_window          = "03:00-05:00"
  maintenance_window       = "sun:05:00-sun:06:00"

  log_delivery_configuration {
    destination      = aws_cloudwatch_log_group.redis_slow_log.name
    destination_type = "cloudwatch-logs"
    log_format       = "json"
    log_type         = "slow-log"
  }

  tags = {
    Name = "ablage-redis-${var.environment}"
  }
}

resource "aws_kms_key" "redis" {
  #checkov:skip=CKV2_AWS_64:the default key policy (account root administers, IAM decides use) is intended here
  description         = "ElastiCache and its logs of ablage-${var.environment}"
  enable_key_rotation = true
}

resource "aws_cloudwatch_log_group" "redis_slow_log" {
  #checkov:skip=CKV_AWS_158:slow-log entries hold key names and timings only; the AWS-managed encryption suffices
  name              = "/ablage/${var.environment}/redis/slow-log"
  retention_in_days = 365
}

resource "aws_elasticache_subnet_group" "redis" {
  name       = "ablage-redis-subnet-group-${var.environment}"
  subnet_ids = var.private_subnet_ids
}

resource "aws_security_group" "redis" {
  name_prefix = "ablage-redis-"
  description = "Redis of ablage-${var.environment}: reachable from the application only"
  vpc_id      = var.vpc_id

  ingress {
    description     = "Redis from the application"
    from_port       = 6379
    to_port         = 6379
    protocol        = "tcp"
    security_groups = var.app_security_group_ids
  }

  lifecycle {
    create_before_destroy = true
  }
}

# ElastiCache AUTH tokens allow printable characters except '/', '"' and '@'; plain alphanumerics also keep the
# token safe inside REDIS_URL.
resource "random_password" "redis_password" {
  length  = 32
  special = false
}
