/**
 * Simplified Chinese texts for every reason code (PRODUCT §2, §7). Same rules as `en.ts`:
 * no exact times or thresholds other than the published file limits.
 */
import { TOO_MANY_REQUESTS_TEXTS } from './too-many-requests.ts';
import type { ReasonCatalog } from './types.ts';
import { UNDERAGE_TEXTS } from './underage.ts';

export const zhCN: ReasonCatalog = {
  // File
  UNSUPPORTED_FORMAT: {
    message: '不支持该文件格式',
    tip: '请上传 JPEG 或 PNG 格式的照片；PDF 仅适用于地址证明。',
  },
  FILE_TOO_LARGE: {
    message: '文件过大',
    tip: '请上传小于 10 MB 的 JPEG 或 PNG 文件。如果相机拍出的文件过大，请降低分辨率或另存为 JPEG。',
  },
  FILE_TOO_SMALL: {
    message: '照片分辨率过低',
    tip: '请上传相机拍摄的原始照片，不要使用缩略图或经聊天软件压缩后的图片。',
  },
  ATTEMPT_TOO_LARGE: {
    message: '文件总大小超出限制',
    tip: '单次提交的全部文件合计应小于 30 MB，例如可将每张照片另存为 JPEG。',
  },
  IMAGE_DIMENSIONS_INVALID: {
    message: '图片尺寸不符合要求',
    tip: '请使用手机或相机的默认设置重新拍照；尺寸过小、过大或比例异常的图片无法审核。',
  },
  FILE_CORRUPT: {
    message: '无法读取文件',
    tip: '文件可能已损坏或不完整，请重新拍摄或导出照片后再上传。',
  },
  // Quality
  PHOTO_TOO_BLURRY: {
    message: '照片太模糊',
    tip: '请握稳手机，点击屏幕对焦（拍证件时对焦证件，自拍时对焦面部），待画面清晰后再拍摄。',
  },
  REFLECTION_DETECTED: {
    message: '检测到反光',
    tip: '请关闭闪光灯，并将证件稍微倾斜、避开灯光或窗户，确保文字和照片上没有亮斑。',
  },
  DOCUMENT_NOT_FULLY_VISIBLE: {
    message: '证件显示不完整',
    tip: '请确保证件四个角都在画面内，四周留有少许空白，且没有手指等物体遮挡。',
  },
  BACKGROUND_TOO_DARK: {
    message: '背景太暗',
    tip: '请在光线充足的房间内面向窗户或灯光拍摄，避免身后或证件后方有强光。',
  },
  DOCUMENT_TILTED: {
    message: '证件倾斜',
    tip: '请将证件平放在深色、纯色的平面上，从正上方拍摄，手机与证件保持平行。',
  },
  NO_FACE_DETECTED: {
    message: '未检测到人脸',
    tip: '自拍时请在光线良好的环境下正视镜头，确保整张脸都在画面内；拍摄证件时请拍带照片的一面，确保证件照清晰可见。',
  },
  MULTIPLE_FACES: {
    message: '检测到多张人脸',
    tip: '自拍中只能有您本人，身后不要出现其他人、照片或海报。',
  },
  FACE_TOO_SMALL: {
    message: '人脸太小',
    tip: '请将镜头靠近一些，让面部占据画面的大部分。',
  },
  FACE_OBSTRUCTED: {
    message: '面部被遮挡',
    tip: '请摘下墨镜、帽子或口罩，并避免头发或手遮挡面部。',
  },
  IMAGE_EDITED: {
    message: '检测到图片经过编辑',
    tip: '请使用原始照片，不要上传经过编辑、加滤镜或裁剪的版本；如果原图已不在，请重新拍摄。',
  },
  SCREENSHOT_DETECTED: {
    message: '检测到截图',
    tip: '请用相机直接拍摄证件原件，不要上传截图或翻拍屏幕的照片。',
  },
  IMAGE_ALREADY_REJECTED: {
    message: '该照片此前已被拒绝',
    tip: '请根据之前提示的问题改进后重新拍摄；再次上传同一文件结果不会改变。',
  },
  // Identity
  FACE_NOT_MATCH: {
    message: '人脸不匹配',
    tip: '请本人在光线良好的环境下正对镜头自拍，并使用带有本人近期照片的证件。',
  },
  LIVENESS_CHECK_FAILED: {
    message: '活体检测未通过',
    tip: '请本人在光线充足的地方完成检测，保持面部在椭圆框内，并按屏幕提示操作直至完成。',
  },
  DOCUMENT_EXPIRED: {
    message: '证件已过期',
    tip: '请使用仍在有效期内的身份证件，并核对证件上印制的有效期。',
  },
  INFORMATION_MISMATCH: {
    message: '信息不一致',
    tip: '请按照证件上的内容准确填写姓名、出生日期和国籍，包括空格和拼写。',
  },
  DUPLICATE_IDENTITY: {
    message: '该身份已在其他账户完成认证',
    tip: '每个身份只能认证一个账户。请登录您之前完成认证的账户，或联系客服。',
  },
  UNSUPPORTED_DOCUMENT_TYPE: {
    message: '不支持该证件类型',
    tip: '请上传与所选证件类型一致的护照、身份证或驾驶证。',
  },
  UNDERAGE: UNDERAGE_TEXTS['zh-CN'],
  // Flow
  // The 429 codes' texts live in too-many-requests.ts (lean handlers carry only those).
  RATE_LIMITED: TOO_MANY_REQUESTS_TEXTS['zh-CN'].RATE_LIMITED,
  COOLDOWN_ACTIVE: TOO_MANY_REQUESTS_TEXTS['zh-CN'].COOLDOWN_ACTIVE,
  MANUAL_REVIEW_REQUIRED: {
    message: '需要人工审核',
    tip: '您无需进行任何操作，合规专员将审核您的资料，并通知您审核结果。',
  },
};
