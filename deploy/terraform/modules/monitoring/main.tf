# Metrics: the pods' /metrics are scraped through their prometheus.io annotations into this workspace.
resource "aws_prometheus_workspace" "main" {
  alias = "ablage-${var.environment}"
}

resource "aws_cloudwatch_log_group" "app" {
  name              = "/ablage/${var.environment}/app"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.monitoring.arn
}

resource "aws_kms_key" "monitoring" {
  description         = "Alarm topic and application logs of ablage-${var.environment}"
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.key.json
}

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_109:a key policy's resource is always the key itself; "*" is how AWS spells that
  #checkov:skip=CKV_AWS_111:same: key policies cannot name the key they belong to
  #checkov:skip=CKV_AWS_356:same: key policies cannot name the key they belong to
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "ServicesEncrypt"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${data.aws_region.current.name}.amazonaws.com", "cloudwatch.amazonaws.com"]
    }
  }
}

resource "aws_sns_topic" "alarms" {
  name              = "ablage-alarms-${var.environment}"
  kms_master_key_id = aws_kms_key.monitoring.arn
}

resource "aws_sns_topic_subscription" "email" {
  count     = var.alarm_email == "" ? 0 : 1
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

resource "aws_cloudwatch_metric_alarm" "db_cpu" {
  alarm_name          = "ablage-${var.environment}-db-cpu"
  alarm_description   = "PostgreSQL CPU above 80 % for 15 minutes"
  namespace           = "AWS/RDS"
  metric_name         = "CPUUtilization"
  dimensions          = { DBInstanceIdentifier = var.db_instance_id }
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 3
  threshold           = 80
  comparison_operator = "GreaterThanThreshold"
  alarm_actions       = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_metric_alarm" "db_storage" {
  alarm_name          = "ablage-${var.environment}-db-free-storage"
  alarm_description   = "PostgreSQL has less than 50 GB free"
  namespace           = "AWS/RDS"
  metric_name         = "FreeStorageSpace"
  dimensions          = { DBInstanceIdentifier = var.db_instance_id }
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 50 * 1024 * 1024 * 1024
  comparison_operator = "LessThanThreshold"
  alarm_actions       = [aws_sns_topic.alarms.arn]
}

# The queue lives in Redis: running out of memory there refuses new jobs.
resource "aws_cloudwatch_metric_alarm" "redis_memory" {
  alarm_name          = "ablage-${var.environment}-redis-memory"
  alarm_description   = "Redis memory above 80 %"
  namespace           = "AWS/ElastiCache"
  metric_name         = "DatabaseMemoryUsagePercentage"
  dimensions          = { ReplicationGroupId = var.redis_replication_group_id }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 2
  threshold           = 80
  comparison_operator = "GreaterThanThreshold"
  alarm_actions       = [aws_sns_topic.alarms.arn]
}
