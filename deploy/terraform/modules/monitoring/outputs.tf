output "prometheus_workspace_id" {
  description = "Amazon Managed Prometheus workspace that receives the pods' metrics."
  value       = aws_prometheus_workspace.main.id
}

output "prometheus_endpoint" {
  description = "Remote-write and query endpoint of the workspace."
  value       = aws_prometheus_workspace.main.prometheus_endpoint
}

output "alarm_topic_arn" {
  description = "SNS topic the alarms notify."
  value       = aws_sns_topic.alarms.arn
}

output "app_log_group" {
  description = "CloudWatch log group of the application."
  value       = aws_cloudwatch_log_group.app.name
}
