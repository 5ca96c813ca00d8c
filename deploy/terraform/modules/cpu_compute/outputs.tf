output "autoscaling_group_name" {
  description = "Name of the CPU autoscaling group."
  value       = aws_autoscaling_group.cpu_backend.name
}

output "load_balancer_dns_name" {
  description = "DNS name of the internal load balancer in front of the CPU VMs."
  value       = aws_lb.cpu_backend.dns_name
}

output "target_group_arn" {
  description = "Target group the CPU VMs register with."
  value       = aws_lb_target_group.cpu_backend.arn
}

output "security_group_id" {
  description = "Security group of the CPU VMs; the database and cache admit it."
  value       = aws_security_group.cpu_backend.id
}
