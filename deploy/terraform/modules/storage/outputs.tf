output "bucket_names" {
  description = "Bucket name per storage area (originals, processed, thumbnails)."
  value       = { for area, bucket in aws_s3_bucket.this : area => bucket.bucket }
}

output "bucket_arns" {
  description = "Bucket ARN per storage area, for the application's IAM policy."
  value       = { for area, bucket in aws_s3_bucket.this : area => bucket.arn }
}

output "retention_days" {
  description = "Days an object lives in each area before its lifecycle rule deletes it."
  value       = { for area, bucket in local.buckets : area => bucket.retention_days }
}
