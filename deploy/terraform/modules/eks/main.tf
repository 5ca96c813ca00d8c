# The cluster the deploy workflow applies deploy/k8s to. The community module is used rather than hand-written
# EKS resources: node groups, access entries and add-ons are a lot of detail it already gets right.
module "cluster" {
  #checkov:skip=CKV_TF_1:a registry module pinned by version; the registry serves each release immutably
  source  = "terraform-aws-modules/eks/aws"
  version = "~> 20.31"

  cluster_name                   = "ablage-system-${var.environment}"
  cluster_version                = var.kubernetes_version
  cluster_endpoint_public_access = true

  vpc_id     = var.vpc_id
  subnet_ids = var.private_subnet_ids

  enable_cluster_creator_admin_permissions = true

  cluster_addons = {
    coredns                = {}
    kube-proxy             = {}
    vpc-cni                = {}
    eks-pod-identity-agent = {}
    aws-efs-csi-driver     = {}
  }

  eks_managed_node_groups = {
    cpu = {
      instance_types = [var.cpu_instance_type]
      min_size       = var.cpu_node_count.min
      desired_size   = var.cpu_node_count.desired
      max_size       = var.cpu_node_count.max
    }
    # The EKS-optimised NVIDIA AMI carries the driver and the container toolkit; labels and taint match the GPU
    # deployments' nodeSelector and toleration.
    gpu = {
      ami_type       = "AL2023_x86_64_NVIDIA"
      instance_types = [var.gpu_instance_type]
      min_size       = var.gpu_node_count.min
      desired_size   = var.gpu_node_count.desired
      max_size       = var.gpu_node_count.max
      labels = {
        gpu        = "true"
        "gpu-type" = "nvidia-a10g"
      }
      taints = {
        gpu = {
          key    = "nvidia.com/gpu"
          value  = "true"
          effect = "NO_SCHEDULE"
        }
      }
    }
  }

  access_entries = {
    github_deploy = {
      principal_arn = aws_iam_role.github_deploy.arn
      policy_associations = {
        ablage = {
          policy_arn = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
          access_scope = {
            type       = "namespace"
            namespaces = ["ablage-system"]
          }
        }
      }
    }
  }
}

# The pods' identity (ServiceAccount ablage in ablage-system): the document buckets, nothing else.
resource "aws_iam_role" "app" {
  name               = "ablage-app-${var.environment}"
  assume_role_policy = data.aws_iam_policy_document.pod_identity_assume.json
}

data "aws_iam_policy_document" "pod_identity_assume" {
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]
    principals {
      type        = "Service"
      identifiers = ["pods.eks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "app_documents" {
  role   = aws_iam_role.app.id
  policy = data.aws_iam_policy_document.documents.json
}

data "aws_iam_policy_document" "documents" {
  statement {
    actions   = ["s3:ListBucket"]
    resources = var.document_bucket_arns
  }

  statement {
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = [for arn in var.document_bucket_arns : "${arn}/*"]
  }
}

resource "aws_eks_pod_identity_association" "app" {
  cluster_name    = module.cluster.cluster_name
  namespace       = "ablage-system"
  service_account = "ablage"
  role_arn        = aws_iam_role.app.arn
}

# GitHub Actions on main assumes this role through OIDC; it may only edit the application's namespace.
resource "aws_iam_openid_connect_provider" "github" {
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}

resource "aws_iam_role" "github_deploy" {
  name               = "ablage-github-deploy-${var.environment}"
  assume_role_policy = data.aws_iam_policy_document.github_assume.json
}

data "aws_iam_policy_document" "github_assume" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.github.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["repo:${var.github_repository}:environment:${var.environment}"]
    }
  }
}

resource "aws_iam_role_policy" "github_describe_cluster" {
  role   = aws_iam_role.github_deploy.id
  policy = data.aws_iam_policy_document.describe_cluster.json
}

data "aws_iam_policy_document" "describe_cluster" {
  statement {
    actions   = ["eks:DescribeCluster"]
    resources = [module.cluster.cluster_arn]
  }
}

# The GPU pods' model cache (PVC huggingface-model-cache, storage class efs-sc): EFS, because it can be mounted by
# pods on several nodes at once.
resource "aws_efs_file_system" "models" {
  #checkov:skip=CKV_AWS_184:the file system holds published model weights only; the AWS-managed key suffices
  creation_token = "ablage-models-${var.environment}"
  encrypted      = true

  tags = {
    Name = "ablage-models-${var.environment}"
  }
}

resource "aws_efs_mount_target" "models" {
  count           = length(var.private_subnet_ids)
  file_system_id  = aws_efs_file_system.models.id
  subnet_id       = var.private_subnet_ids[count.index]
  security_groups = [aws_security_group.efs.id]
}

resource "aws_security_group" "efs" {
  name_prefix = "ablage-efs-"
  description = "Model cache of ablage-${var.environment}: NFS from the cluster's nodes"
  vpc_id      = var.vpc_id

  ingress {
    description     = "NFS from the nodes"
    from_port       = 2049
    to_port         = 2049
    protocol        = "tcp"
    security_groups = [module.cluster.node_security_group_id]
  }

  lifecycle {
    create_before_destroy = true
  }
}
