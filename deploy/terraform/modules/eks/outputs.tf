output "cluster_name" {
  description = "Name of the EKS cluster (aws eks update-kubeconfig --name ...)."
  value       = module.cluster.cluster_name
}

output "node_security_group_id" {
  description = "Security group of the nodes; the database and cache admit it."
  value       = module.cluster.node_security_group_id
}

output "github_deploy_role_arn" {
  description = "Role the deploy workflow assumes (repository variable AWS_DEPLOY_ROLE_ARN)."
  value       = aws_iam_role.github_deploy.arn
}

output "model_cache_file_system_id" {
  description = "EFS file system behind the efs-sc storage class of the model cache."
  value       = aws_efs_file_system.models.id
}
